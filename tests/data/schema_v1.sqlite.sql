-- The store schema of poolab 0.1.0 (schema_version 1, before migrations), as that release
-- created it; tests/test_migrations.py builds a store from it and upgrades it.
CREATE TABLE campaign (
	id INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	pool_size INTEGER NOT NULL, 
	one_tube_per_household BOOLEAN NOT NULL, 
	field_binding BOOLEAN NOT NULL, 
	compounds VARCHAR NOT NULL, 
	event_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);

CREATE TABLE collection (
	id INTEGER NOT NULL, 
	tube_id INTEGER NOT NULL, 
	event_id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (tube_id)
);

CREATE TABLE counter (
	name VARCHAR(64) NOT NULL, 
	value INTEGER NOT NULL, 
	PRIMARY KEY (name)
);

CREATE TABLE event (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	operator VARCHAR(200) NOT NULL, 
	action VARCHAR(64) NOT NULL, 
	campaign_id INTEGER, 
	detail VARCHAR NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_event_action ON event (action);

CREATE INDEX ix_event_campaign_id ON event (campaign_id);

CREATE TABLE import_record (
	id INTEGER NOT NULL, 
	scope VARCHAR(200) NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	event_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (scope, sha256)
);

CREATE TABLE member (
	id INTEGER NOT NULL, 
	campaign_id INTEGER NOT NULL, 
	tube_id INTEGER NOT NULL, 
	resident_pk INTEGER NOT NULL, 
	slot INTEGER NOT NULL, 
	event_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (campaign_id, resident_pk)
);

CREATE INDEX ix_member_tube_slot ON member (tube_id, slot);

CREATE TABLE meta (
	"key" VARCHAR(64) NOT NULL, 
	value VARCHAR NOT NULL, 
	PRIMARY KEY ("key")
);

CREATE TABLE receipt (
	id INTEGER NOT NULL, 
	tube_id INTEGER NOT NULL, 
	event_id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (tube_id)
);

CREATE TABLE resident (
	id INTEGER NOT NULL, 
	resident_id VARCHAR(64) NOT NULL, 
	name VARCHAR NOT NULL, 
	id_number VARCHAR NOT NULL, 
	phone VARCHAR NOT NULL, 
	compound VARCHAR(200) NOT NULL, 
	building VARCHAR NOT NULL, 
	unit VARCHAR NOT NULL, 
	room VARCHAR NOT NULL, 
	household_id VARCHAR(64) NOT NULL, 
	event_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (resident_id)
);

CREATE INDEX ix_resident_compound ON resident (compound);

CREATE INDEX ix_resident_household_id ON resident (household_id);

CREATE TABLE resident_change (
	id INTEGER NOT NULL, 
	resident_pk INTEGER NOT NULL, 
	event_id INTEGER NOT NULL, 
	previous VARCHAR NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_resident_change_resident_pk ON resident_change (resident_pk);

CREATE TABLE result (
	id INTEGER NOT NULL, 
	tube_id INTEGER NOT NULL, 
	call VARCHAR(16) NOT NULL, 
	ct_orf1ab FLOAT, 
	ct_n FLOAT, 
	source VARCHAR NOT NULL, 
	supersedes_id INTEGER, 
	reason VARCHAR, 
	event_id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_result_tube_id ON result (tube_id);

CREATE TABLE tube (
	id INTEGER NOT NULL, 
	barcode VARCHAR(64) NOT NULL, 
	campaign_id INTEGER NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	position INTEGER NOT NULL, 
	parent_tube_id INTEGER, 
	resident_pk INTEGER, 
	event_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (barcode)
);

CREATE INDEX ix_tube_campaign_id ON tube (campaign_id);

CREATE INDEX ix_tube_parent_tube_id ON tube (parent_tube_id);

CREATE INDEX ix_tube_resident_pk ON tube (resident_pk);
