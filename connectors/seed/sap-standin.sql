-- SAP stand-in (PostgreSQL database "sap", schema sapabap1): the shapes and column names of
-- S/4HANA's MATDOC (goods movements, insert-only) and MARD (stock per plant and storage
-- location), with ABAP's conventions: upper-case names, client MANDT, material numbers
-- zero-padded to 18 characters, dates as 'YYYYMMDD' and times as 'HHMMSS' strings (DATS/TIMS).
-- It is captured by Debezium like the store databases until the real HANA capture exists.

CREATE SCHEMA IF NOT EXISTS sapabap1;

CREATE TABLE IF NOT EXISTS sapabap1."MATDOC" (
  "MANDT"       varchar(3)     NOT NULL,
  "MBLNR"       varchar(10)    NOT NULL,   -- material document number
  "MJAHR"       varchar(4)     NOT NULL,   -- material document year
  "ZEILE"       varchar(4)     NOT NULL,   -- item in the document
  "RECORD_TYPE" varchar(4)     NOT NULL DEFAULT 'MDOC',
  "MATNR"       varchar(40)    NOT NULL,
  "WERKS"       varchar(4)     NOT NULL,   -- plant
  "LGORT"       varchar(4)     NOT NULL,   -- storage location
  "CHARG"       varchar(10)    NOT NULL DEFAULT '',  -- batch
  "BWART"       varchar(3)     NOT NULL,   -- movement type
  "SHKZG"       varchar(1)     NOT NULL CHECK ("SHKZG" IN ('S', 'H')),  -- S debit (adds), H credit (removes)
  "MENGE"       numeric(13, 3) NOT NULL,   -- quantity in base unit
  "MEINS"       varchar(3)     NOT NULL,   -- base unit
  "ERFMG"       numeric(13, 3) NOT NULL,   -- quantity in unit of entry
  "ERFME"       varchar(3)     NOT NULL,   -- unit of entry
  "BUDAT"       varchar(8)     NOT NULL,   -- posting date
  "CPUDT_MKPF"  varchar(8)     NOT NULL,   -- entry date
  "CPUTM_MKPF"  varchar(6)     NOT NULL,   -- entry time
  "USNAM_MKPF"  varchar(12)    NOT NULL,
  PRIMARY KEY ("MANDT", "MBLNR", "MJAHR", "ZEILE")
);

CREATE TABLE IF NOT EXISTS sapabap1."MARD" (
  "MANDT"  varchar(3)     NOT NULL,
  "MATNR"  varchar(40)    NOT NULL,
  "WERKS"  varchar(4)     NOT NULL,
  "LGORT"  varchar(4)     NOT NULL,
  "LABST"  numeric(13, 3) NOT NULL DEFAULT 0,  -- unrestricted-use stock
  "UMLME"  numeric(13, 3) NOT NULL DEFAULT 0,  -- in transfer
  "INSME"  numeric(13, 3) NOT NULL DEFAULT 0,  -- in quality inspection
  "EINME"  numeric(13, 3) NOT NULL DEFAULT 0,  -- restricted-use
  "SPEME"  numeric(13, 3) NOT NULL DEFAULT 0,  -- blocked
  "RETME"  numeric(13, 3) NOT NULL DEFAULT 0,  -- returns
  "LFGJA"  varchar(4)     NOT NULL,            -- fiscal year of current period
  "LFMON"  varchar(2)     NOT NULL,            -- current period
  PRIMARY KEY ("MANDT", "MATNR", "WERKS", "LGORT")
);

ALTER TABLE sapabap1."MARD" REPLICA IDENTITY FULL;

GRANT USAGE ON SCHEMA sapabap1 TO stockline_app, debezium;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA sapabap1 TO stockline_app;
GRANT SELECT ON ALL TABLES IN SCHEMA sapabap1 TO debezium;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'stockline_sap') THEN
    CREATE PUBLICATION stockline_sap FOR TABLE sapabap1."MATDOC", sapabap1."MARD";
  END IF;
END $$;
