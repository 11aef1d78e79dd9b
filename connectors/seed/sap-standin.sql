-- SAP stand-in (PostgreSQL database "sap", schema sapabap1): the shapes and column names of
-- S/4HANA's MATDOC (goods movements, insert-only) and MARD (stock per plant and storage
-- location), with ABAP's conventions: upper-case names, client MANDT, material numbers
-- zero-padded to 18 characters, dates as 'YYYYMMDD' and times as 'HHMMSS' strings (DATS/TIMS).
--
-- As in S/4HANA, MATDOC is the only stock table: MARD is a view that sums MATDOC's signed stock
-- change STOCK_QTY per material, plant and storage location and stock type (as SAP's
-- compatibility view NSDM_E_MARD_AGG does), so the two can never disagree.
--
-- Run by the local stack at every start: creates what is missing and migrates a stand-in of an
-- older shape (BUDAT renamed BUDAT_MKPF, the stock-type columns added, the MARD table replaced
-- by the view).

CREATE SCHEMA IF NOT EXISTS sapabap1;

CREATE TABLE IF NOT EXISTS sapabap1."MATDOC" (
  "MANDT"       varchar(3)     NOT NULL,
  "MBLNR"       varchar(10)    NOT NULL,   -- material document number (buffered number range)
  "MJAHR"       varchar(4)     NOT NULL,   -- material document year
  "ZEILE"       varchar(4)     NOT NULL,   -- item in the document
  "RECORD_TYPE" varchar(4)     NOT NULL DEFAULT 'MDOC',
  "MATNR"       varchar(40)    NOT NULL,
  "WERKS"       varchar(4)     NOT NULL,   -- plant
  "LGORT"       varchar(4)     NOT NULL,   -- storage location
  "CHARG"       varchar(10)    NOT NULL DEFAULT '',  -- batch
  "LBBSA_SID"   varchar(2)     NOT NULL DEFAULT '01',  -- stock type: 01 unrestricted, 02 quality inspection, 03 returns, 04 in transfer, 07 blocked, 08 restricted
  "SOBKZ"       varchar(1)     NOT NULL DEFAULT '',  -- special stock indicator ('' own stock; K consignment, E sales order ...)
  "BWART"       varchar(3)     NOT NULL,   -- movement type
  "SHKZG"       varchar(1)     NOT NULL CHECK ("SHKZG" IN ('S', 'H')),  -- S debit (adds), H credit (removes)
  "MENGE"       numeric(13, 3) NOT NULL,   -- quantity in base unit
  "MEINS"       varchar(3)     NOT NULL,   -- base unit
  "ERFMG"       numeric(13, 3) NOT NULL,   -- quantity in unit of entry
  "ERFME"       varchar(3)     NOT NULL,   -- unit of entry
  "STOCK_QTY"   numeric(13, 3) NOT NULL,   -- signed stock change in base unit (what MARD sums)
  "SMBLN"       varchar(10)    NOT NULL DEFAULT '',  -- reversal: the original material document
  "SMBJP"       varchar(4)     NOT NULL DEFAULT '',  -- ... its year
  "SMBLP"       varchar(4)     NOT NULL DEFAULT '',  -- ... its item
  "BUDAT_MKPF"  varchar(8)     NOT NULL,   -- posting date (may be back-dated: MB5B reports by it)
  "CPUDT_MKPF"  varchar(8)     NOT NULL,   -- entry date (stamped before the commit)
  "CPUTM_MKPF"  varchar(6)     NOT NULL,   -- entry time
  "USNAM_MKPF"  varchar(12)    NOT NULL,
  PRIMARY KEY ("MANDT", "MBLNR", "MJAHR", "ZEILE")
);

-- A stand-in of the older shape: migrate it in place.
DO $$
DECLARE
  mard_kind "char";
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns
             WHERE table_schema = 'sapabap1' AND table_name = 'MATDOC' AND column_name = 'BUDAT') THEN
    ALTER TABLE sapabap1."MATDOC" RENAME COLUMN "BUDAT" TO "BUDAT_MKPF";
  END IF;
  ALTER TABLE sapabap1."MATDOC"
    ADD COLUMN IF NOT EXISTS "LBBSA_SID" varchar(2) NOT NULL DEFAULT '01',
    ADD COLUMN IF NOT EXISTS "SOBKZ" varchar(1) NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS "SMBLN" varchar(10) NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS "SMBJP" varchar(4) NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS "SMBLP" varchar(4) NOT NULL DEFAULT '';
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                 WHERE table_schema = 'sapabap1' AND table_name = 'MATDOC' AND column_name = 'STOCK_QTY') THEN
    ALTER TABLE sapabap1."MATDOC" ADD COLUMN "STOCK_QTY" numeric(13, 3);
    UPDATE sapabap1."MATDOC" SET "STOCK_QTY" = CASE "SHKZG" WHEN 'H' THEN -"MENGE" ELSE "MENGE" END;
    ALTER TABLE sapabap1."MATDOC" ALTER COLUMN "STOCK_QTY" SET NOT NULL;
  END IF;

  -- MARD was a table of its own: it leaves the publication and gives way to the view (the
  -- stack's seed then posts the sample's opening balances as MATDOC documents).
  SELECT c.relkind INTO mard_kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'sapabap1' AND c.relname = 'MARD';
  IF mard_kind = 'r' THEN
    IF EXISTS (SELECT 1 FROM pg_publication_tables
               WHERE pubname = 'stockline_sap' AND schemaname = 'sapabap1' AND tablename = 'MARD') THEN
      ALTER PUBLICATION stockline_sap DROP TABLE sapabap1."MARD";
    END IF;
    DROP TABLE sapabap1."MARD";
  END IF;
END $$;

-- The capture polls by entry time and resumes after the last (time, key) it wrote.
CREATE INDEX IF NOT EXISTS "MATDOC~CPU" ON sapabap1."MATDOC"
  ("CPUDT_MKPF", "CPUTM_MKPF", "MANDT", "MJAHR", "MBLNR", "ZEILE");

-- MARD as S/4HANA computes it (NSDM_E_MARD_AGG): own stock only (SOBKZ ''; special stocks
-- live in MSKU, MKOL ... in SAP), one column per stock type; the current period is the one of
-- the latest posting.
CREATE OR REPLACE VIEW sapabap1."MARD" AS
SELECT "MANDT", "MATNR", "WERKS", "LGORT",
       sum(CASE WHEN "LBBSA_SID" = '01' THEN "STOCK_QTY" ELSE 0 END)::numeric(13, 3) AS "LABST",  -- unrestricted-use
       sum(CASE WHEN "LBBSA_SID" = '04' THEN "STOCK_QTY" ELSE 0 END)::numeric(13, 3) AS "UMLME",  -- in transfer
       sum(CASE WHEN "LBBSA_SID" = '02' THEN "STOCK_QTY" ELSE 0 END)::numeric(13, 3) AS "INSME",  -- quality inspection
       sum(CASE WHEN "LBBSA_SID" = '08' THEN "STOCK_QTY" ELSE 0 END)::numeric(13, 3) AS "EINME",  -- restricted-use
       sum(CASE WHEN "LBBSA_SID" = '07' THEN "STOCK_QTY" ELSE 0 END)::numeric(13, 3) AS "SPEME",  -- blocked
       sum(CASE WHEN "LBBSA_SID" = '03' THEN "STOCK_QTY" ELSE 0 END)::numeric(13, 3) AS "RETME",  -- returns
       left(max("BUDAT_MKPF"), 4)::varchar(4) AS "LFGJA",     -- fiscal year of the current period
       substr(max("BUDAT_MKPF"), 5, 2)::varchar(2) AS "LFMON" -- current period
  FROM sapabap1."MATDOC"
 WHERE "SOBKZ" = ''
 GROUP BY "MANDT", "MATNR", "WERKS", "LGORT";

GRANT USAGE ON SCHEMA sapabap1 TO stockline_app, debezium;
GRANT SELECT, INSERT, UPDATE, DELETE ON sapabap1."MATDOC" TO stockline_app;
GRANT SELECT ON sapabap1."MARD" TO stockline_app;
GRANT SELECT ON ALL TABLES IN SCHEMA sapabap1 TO debezium;

-- The Debezium connector sap-standin captures MATDOC until the SAP capture role replaces it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'stockline_sap') THEN
    CREATE PUBLICATION stockline_sap FOR TABLE sapabap1."MATDOC";
  END IF;
END $$;
