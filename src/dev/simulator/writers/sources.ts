import { UsageError } from '../../../errors.js';
import { itemBarcode, barcodeBlockOf, type World } from '../world.js';
import type { SourceName } from '../writes.js';
import { MqQueueWriter } from './mq-queue.js';
import type { LocationRow, SourceWriter, StoreWriter } from './port.js';
import { RetryingWriter, type RetryingOptions } from './retrying.js';
import { SapMatdocWriter } from './sap-matdoc.js';
import { MariadbStoreWriter } from './store-mariadb.js';
import { PostgresStoreWriter } from './store-postgres.js';
import type { SourceTargets } from './targets.js';

/** Every source the simulator writes into, open. */
export interface Sources {
  writers: Record<SourceName, SourceWriter>;
  stores: StoreWriter[];
  sap: SapMatdocWriter;
  close(): Promise<void>;
}

/**
 * Opens every source. The run's writers retry a batch through a restart of their system on a
 * fresh connection (writers/retrying.ts); preparing the sources before the run does not.
 */
export async function openSources(targets: SourceTargets, retrying: RetryingOptions = {}): Promise<Sources> {
  const opened: SourceWriter[] = [];
  const open = async <W extends SourceWriter>(writer: Promise<W>): Promise<W> => {
    const w = await writer;
    opened.push(w);
    return w;
  };
  const closeAll = async () => {
    await Promise.allSettled(opened.map((w) => w.close()));
  };
  try {
    const storePg = await open(PostgresStoreWriter.open(targets.storePostgres));
    const storeMaria = await open(MariadbStoreWriter.open(targets.storeMariadb));
    const sap = await open(SapMatdocWriter.open(targets.sapPostgres));
    const mq = await open(MqQueueWriter.open(targets.mainframe, targets.mappingsDir));
    const writers = {
      'store-pg': new RetryingWriter(
        storePg,
        () => PostgresStoreWriter.open(targets.storePostgres),
        retrying,
      ),
      'store-maria': new RetryingWriter(
        storeMaria,
        () => MariadbStoreWriter.open(targets.storeMariadb),
        retrying,
      ),
      sap: new RetryingWriter(sap, () => SapMatdocWriter.open(targets.sapPostgres), retrying),
      mainframe: new RetryingWriter(
        mq,
        () => MqQueueWriter.open(targets.mainframe, targets.mappingsDir),
        retrying,
      ),
    };
    return {
      writers,
      stores: [storePg, storeMaria],
      sap,
      // A writer replaced after a failure is closed by its RetryingWriter; close what is current.
      close: async () => {
        await Promise.allSettled(Object.values(writers).map((w) => w.close()));
      },
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/** Barcode blocks tried before giving up: each is a million numbers, runs rarely share one. */
const BARCODE_ATTEMPTS = 50;

/**
 * Makes the sources ready for a run: refuses a run id used before (its stock would not start
 * at zero), adds the locations the run needs and the run's items to both store databases (the
 * tables' foreign keys need them), and returns the first free SAP material document number.
 */
export async function prepareSources(
  sources: Sources,
  world: World,
): Promise<{ firstMaterialDocument: number }> {
  const used = await Promise.all([
    ...sources.stores.map((s) => s.hasSkuPrefix(world.skuPrefix)),
    sources.sap.hasMaterialPrefix(world.skuPrefix),
  ]);
  if (used.some(Boolean))
    throw new UsageError(
      `run id ${world.runId} was used before (SKUs ${world.skuPrefix}* exist): its stock would not start at zero; give another --run-id or leave it out`,
      { runId: world.runId },
    );

  const block = await freeBarcodeBlock(sources.stores, barcodeBlockOf(world.runId));
  const locations: LocationRow[] = world.stores
    .filter((s) => !s.seeded)
    .map((s) => ({
      location_id: s.id,
      name: s.name,
      kind: s.kind,
      region: s.region,
      store_number: s.storeNumber,
    }));
  const items = world.items.map((item, i) => ({
    sku: item.sku,
    barcode: itemBarcode(block, i),
    description: item.description,
    unit: item.unit,
  }));
  // Every store database knows every location and item, as the seed does (transfers cross regions).
  for (const store of sources.stores) {
    await store.addLocations(locations);
    await store.addItems(items);
  }
  return { firstMaterialDocument: await sources.sap.nextMaterialDocument() };
}

async function freeBarcodeBlock(stores: StoreWriter[], start: number): Promise<number> {
  for (let attempt = 0; attempt < BARCODE_ATTEMPTS; attempt++) {
    const block = 100_000 + ((start - 100_000 + attempt * 7919) % 900_000);
    const prefix = itemBarcode(block, 0).slice(0, 7);
    const taken = await Promise.all(stores.map((s) => s.hasBarcodePrefix(prefix)));
    if (!taken.some(Boolean)) return block;
  }
  throw new UsageError(
    `no free barcode block found after ${BARCODE_ATTEMPTS} attempts; give another --run-id`,
  );
}
