package dev.stockline.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * The benchmark's peer (issue 14): the canonical inventory events of a topic (CloudEvents binary
 * mode: key sku@location, ce_type header, JSON data with a decimal string quantity), summed per
 * SKU x location as BigDecimal with exactly_once_v2 into a RocksDB state store (with its changelog
 * topic) and an output topic. A movement adds its quantity, a level (a count) replaces the total.
 *
 * <p>Runs until the application's committed offsets reach the input topic's end offsets as they
 * were at start, then prints one line, {@code PEER_RESULT {json}}, and stops. Arguments:
 * {@code --bootstrap host:port --input topic --output topic --app-id id --state-dir dir
 * [--threads 1] [--timeout-seconds 900]}.
 */
public final class StockPeer {
  private static final String LEVEL = "inventory.level";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Parses the event with Jackson: "L:<quantity>" for a level, "M:<quantity>" for a movement. */
  static final class Parse implements FixedKeyProcessor<String, byte[], String> {
    private final AtomicLong processed;
    private FixedKeyProcessorContext<String, String> context;

    Parse(AtomicLong processed) {
      this.processed = processed;
    }

    @Override
    public void init(FixedKeyProcessorContext<String, String> context) {
      this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, byte[]> record) {
      processed.incrementAndGet();
      Header type = record.headers().lastHeader("ce_type");
      boolean level =
          type != null && LEVEL.equals(new String(type.value(), StandardCharsets.UTF_8));
      String quantity;
      try {
        JsonNode data = JSON.readTree(record.value());
        quantity = data.get("quantity").asText();
      } catch (IOException e) {
        throw new IllegalStateException("not a canonical event at offset", e);
      }
      context.forward(record.withValue((level ? "L:" : "M:") + quantity));
    }
  }

  static String sum(String total, String change) {
    String quantity = change.substring(2);
    if (change.charAt(0) == 'L') return new BigDecimal(quantity).toPlainString();
    return new BigDecimal(total).add(new BigDecimal(quantity)).toPlainString();
  }

  /** utime + stime of this process, in seconds (from /proc/self/stat, at 100 ticks a second). */
  static double cpuSeconds() throws IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
  }

  /** Peak resident set size (VmHWM) of this process, in MB. */
  static long peakRssMb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status")))
      if (line.startsWith("VmHWM:"))
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
    return -1;
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
    String bootstrap = args.get("bootstrap");
    String input = args.get("input");
    String output = args.get("output");
    String appId = args.get("app-id");
    long timeoutNs = Long.parseLong(args.getOrDefault("timeout-seconds", "900")) * 1_000_000_000L;
    long startedNs = System.nanoTime();

    Properties adminProps = new Properties();
    adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(adminProps)) {
      var description = admin.describeTopics(List.of(input)).allTopicNames().get().get(input);
      int partitions = description.partitions().size();
      Map<TopicPartition, OffsetSpec> latest =
          description.partitions().stream()
              .collect(
                  Collectors.toMap(
                      p -> new TopicPartition(input, p.partition()), p -> OffsetSpec.latest()));
      Map<TopicPartition, Long> ends = new HashMap<>();
      admin.listOffsets(latest).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
      long total = ends.values().stream().mapToLong(Long::longValue).sum();
      admin.createTopics(List.of(new NewTopic(output, partitions, (short) -1))).all().get();

      Properties props = new Properties();
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
      props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
      props.put(StreamsConfig.STATE_DIR_CONFIG, args.get("state-dir"));
      props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, args.getOrDefault("threads", "1"));
      props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

      AtomicLong processed = new AtomicLong();
      StreamsBuilder builder = new StreamsBuilder();
      builder.stream(input, Consumed.with(Serdes.String(), Serdes.ByteArray()))
          .processValues(() -> new Parse(processed))
          .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
          .aggregate(
              () -> "0",
              (key, change, totalSoFar) -> sum(totalSoFar, change),
              Materialized.<String, String, org.apache.kafka.streams.state.KeyValueStore<
                          org.apache.kafka.common.utils.Bytes, byte[]>>as("stock")
                  .withKeySerde(Serdes.String())
                  .withValueSerde(Serdes.String()))
          .toStream()
          .to(output, Produced.with(Serdes.String(), Serdes.String()));

      AtomicReference<Throwable> failure = new AtomicReference<>();
      try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
        streams.setUncaughtExceptionHandler(
            e -> {
              failure.set(e);
              return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler
                  .StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            });
        streams.start();
        long firstCommitNs = 0;
        double cpuAtFirstCommit = 0;
        for (; ; ) {
          if (failure.get() != null) throw new IllegalStateException("the peer failed", failure.get());
          if (System.nanoTime() - startedNs > timeoutNs)
            throw new IllegalStateException("not caught up within the timeout");
          Map<TopicPartition, OffsetAndMetadata> committed =
              admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get();
          long done = 0;
          for (TopicPartition tp : ends.keySet()) {
            OffsetAndMetadata o = committed.get(tp);
            if (o != null) done += Math.min(o.offset(), ends.get(tp));
          }
          if (done > 0 && firstCommitNs == 0) {
            firstCommitNs = System.nanoTime();
            cpuAtFirstCommit = cpuSeconds();
          }
          if (done >= total) break;
          Thread.sleep(100);
        }
        long caughtUpNs = System.nanoTime();
        double cpu = cpuSeconds();
        double seconds = (caughtUpNs - firstCommitNs) / 1e9;
        ObjectNode result = JSON.createObjectNode();
        result.put("events", total);
        result.put("partitions", partitions);
        result.put("processed", processed.get());
        result.put("seconds", seconds);
        result.put("eventsPerSecond", total / seconds);
        result.put("startupSeconds", (firstCommitNs - startedNs) / 1e9);
        result.put("cpuSeconds", cpu);
        result.put("cpuSecondsWhileApplying", cpu - cpuAtFirstCommit);
        result.put("peakRssMb", peakRssMb());
        result.put("maxHeapMb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
        result.put("kafkaStreams", org.apache.kafka.common.utils.AppInfoParser.getVersion());
        result.put("java", System.getProperty("java.version"));
        System.out.println("PEER_RESULT " + JSON.writeValueAsString(result));
        System.out.flush();
        streams.close(Duration.ofSeconds(30));
        streams.cleanUp();
      }
    }
  }
}
