-- One database per service: each owns its data (see README).
CREATE DATABASE hadir_checkin;
CREATE DATABASE hadir_policy;
CREATE DATABASE hadir_notify;
CREATE DATABASE hadir_reporting;
