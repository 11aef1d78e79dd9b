-- Store database (MariaDB): the same point-of-sale and back-office tables for the southern
-- stores, in MariaDB's types. Run by `stockline stack up` as root; idempotent. Times are UTC.

CREATE DATABASE IF NOT EXISTS store CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE store;

CREATE TABLE IF NOT EXISTS locations (
  location_id   VARCHAR(10)  PRIMARY KEY,
  name          VARCHAR(80)  NOT NULL,
  kind          VARCHAR(20)  NOT NULL CHECK (kind IN ('store', 'warehouse', 'distribution_center')),
  region        VARCHAR(20)  NOT NULL,
  store_number  INT          UNIQUE
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS items (
  sku           VARCHAR(20)  PRIMARY KEY,
  barcode       VARCHAR(14)  NOT NULL UNIQUE,
  description   VARCHAR(120) NOT NULL,
  unit          VARCHAR(3)   NOT NULL
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS stock_on_hand (
  location_id   VARCHAR(10)    NOT NULL,
  sku           VARCHAR(20)    NOT NULL,
  quantity      DECIMAL(15, 3) NOT NULL,
  unit          VARCHAR(3)     NOT NULL,
  counted_at    DATETIME(6)    NULL,
  updated_at    DATETIME(6)    NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (location_id, sku),
  FOREIGN KEY (location_id) REFERENCES locations (location_id),
  FOREIGN KEY (sku) REFERENCES items (sku)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS sale_lines (
  sale_line_id  BIGINT         AUTO_INCREMENT PRIMARY KEY,
  sale_id       BIGINT         NOT NULL,
  line_no       INT            NOT NULL,
  location_id   VARCHAR(10)    NOT NULL,
  sku           VARCHAR(20)    NOT NULL,
  quantity      DECIMAL(15, 3) NOT NULL,
  unit          VARCHAR(3)     NOT NULL,
  unit_price    DECIMAL(12, 2) NOT NULL,
  sold_at       DATETIME(6)    NOT NULL,
  UNIQUE KEY (sale_id, line_no),
  FOREIGN KEY (location_id) REFERENCES locations (location_id),
  FOREIGN KEY (sku) REFERENCES items (sku)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS goods_receipts (
  receipt_line_id BIGINT       AUTO_INCREMENT PRIMARY KEY,
  receipt_id    BIGINT         NOT NULL,
  line_no       INT            NOT NULL,
  location_id   VARCHAR(10)    NOT NULL,
  sku           VARCHAR(20)    NOT NULL,
  quantity      DECIMAL(15, 3) NOT NULL CHECK (quantity > 0),
  unit          VARCHAR(3)     NOT NULL,
  supplier      VARCHAR(40)    NOT NULL,
  received_at   DATETIME(6)    NOT NULL,
  UNIQUE KEY (receipt_id, line_no),
  FOREIGN KEY (location_id) REFERENCES locations (location_id),
  FOREIGN KEY (sku) REFERENCES items (sku)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS transfers (
  transfer_line_id BIGINT      AUTO_INCREMENT PRIMARY KEY,
  transfer_id   BIGINT         NOT NULL,
  line_no       INT            NOT NULL,
  from_location VARCHAR(10)    NOT NULL,
  to_location   VARCHAR(10)    NOT NULL,
  sku           VARCHAR(20)    NOT NULL,
  quantity      DECIMAL(15, 3) NOT NULL CHECK (quantity > 0),
  unit          VARCHAR(3)     NOT NULL,
  status        VARCHAR(10)    NOT NULL CHECK (status IN ('shipped', 'received')),
  shipped_at    DATETIME(6)    NOT NULL,
  received_at   DATETIME(6)    NULL,
  UNIQUE KEY (transfer_id, line_no),
  FOREIGN KEY (from_location) REFERENCES locations (location_id),
  FOREIGN KEY (to_location) REFERENCES locations (location_id),
  FOREIGN KEY (sku) REFERENCES items (sku)
) ENGINE=InnoDB;

-- Debezium's signalling table (`signal.data.collection: store.debezium_signal` in
-- connectors/store-mariadb.yaml): a row of type 'execute-snapshot' starts an incremental
-- snapshot. The connector writes its snapshot window watermarks into it too, hence INSERT and
-- DELETE for the debezium user. Created and granted on every `stack up`, so an existing stack
-- gets it too.
CREATE TABLE IF NOT EXISTS debezium_signal (
  id            VARCHAR(42)   PRIMARY KEY,
  type          VARCHAR(32)   NOT NULL,
  data          VARCHAR(2048) NULL
) ENGINE=InnoDB;

GRANT SELECT, INSERT, DELETE ON store.debezium_signal TO 'debezium'@'%';
