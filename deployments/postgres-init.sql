-- A second database for the Prefect server, beside the staging database.
CREATE DATABASE prefect OWNER patrimoine;
