-- v2 -> v3: Device private keys sealed with the master key
-- With SWITCHBOARD_MASTER_KEY set, a device's noise, identity and signed
-- pre-key private keys and its ADV secret are kept here, sealed
-- (AES-256-GCM, the device JID as associated data, key id inside), and
-- whatsmeow_device holds zeros in their place.
CREATE TABLE switchboard_device_keys (
	device_jid TEXT  PRIMARY KEY,
	sealed     bytea NOT NULL
);
