-- One database per service, each owned by its own ordinary role: no SUPERUSER, no BYPASSRLS, so
-- PostgreSQL's row-level security (services/runtime/rls.py) applies to the service, as it does in
-- Kubernetes (deploy/k8s/base/postgres.yaml). The superuser of the container only runs this file.
-- The passwords come from the container's environment (docker-compose.yml; `make up` writes them,
-- random, into .env): an unset one stops the initialisation (psql keeps ":'name'" and fails).
\set ON_ERROR_STOP on
\getenv checkin_password HADIR_DB_CHECKIN_PASSWORD
\getenv policy_password HADIR_DB_POLICY_PASSWORD
\getenv notify_password HADIR_DB_NOTIFY_PASSWORD
\getenv reporting_password HADIR_DB_REPORTING_PASSWORD

CREATE ROLE checkin LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'checkin_password';
CREATE ROLE policy LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'policy_password';
CREATE ROLE notify LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'notify_password';
CREATE ROLE reporting LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'reporting_password';

CREATE DATABASE hadir_checkin OWNER checkin;
CREATE DATABASE hadir_policy OWNER policy;
CREATE DATABASE hadir_notify OWNER notify;
CREATE DATABASE hadir_reporting OWNER reporting;

-- Each service reaches its own database only (the owner keeps CONNECT).
REVOKE ALL ON DATABASE hadir_checkin, hadir_policy, hadir_notify, hadir_reporting FROM PUBLIC;
