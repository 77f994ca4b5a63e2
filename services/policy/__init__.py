"""Policy service: the directory (tenants, units, employees), circular letters
(Surat Edaran) and their versions, rosters, and the evaluation of every check-in."""
