-- v0 -> v1: Session to device links
-- No foreign key to whatsmeow_device: whatsmeow owns that table and may
-- rebuild it in its own upgrades. A link to a device row that is gone is
-- treated as no link.
CREATE TABLE switchboard_session_devices (
	tenant     TEXT   NOT NULL,
	session    TEXT   NOT NULL,
	device_jid TEXT   NOT NULL,
	linked_at  BIGINT NOT NULL,
	PRIMARY KEY (tenant, session)
);
CREATE INDEX switchboard_session_devices_jid_idx ON switchboard_session_devices (device_jid);
