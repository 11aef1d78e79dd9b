import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StackLayout } from '../layout.js';

/**
 * The Maven-fetched jars bring no logging configuration: each JVM gets a log4j2 file that
 * writes plain lines to stdout, which the stack redirects into the part's log file.
 */
export function writeLog4jConfig(layout: StackLayout, part: string): string {
  const file = path.join(layout.conf, `log4j2-${part}.properties`);
  writeFileSync(
    file,
    [
      'rootLogger.level=INFO',
      'rootLogger.appenderRef.stdout.ref=STDOUT',
      'appender.stdout.type=Console',
      'appender.stdout.name=STDOUT',
      'appender.stdout.layout.type=PatternLayout',
      'appender.stdout.layout.pattern=[%d] %p %m (%c)%n',
      // The quieter the noisy ones, the easier an operator finds the line that matters.
      'logger.kafka-request.name=kafka.request.logger',
      'logger.kafka-request.level=WARN',
      'logger.reflections.name=org.reflections',
      'logger.reflections.level=ERROR',
      '',
    ].join('\n'),
  );
  return file;
}

export function javaCommand(
  layout: StackLayout,
  log4jFile: string,
  heapMb: number,
  mainClass: string,
  args: string[],
): [string, string[]] {
  const javaHome = process.env.JAVA_HOME;
  const java = javaHome ? path.join(javaHome, 'bin', 'java') : 'java';
  return [
    java,
    [
      `-Xms${Math.min(256, heapMb)}m`,
      `-Xmx${heapMb}m`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${log4jFile}`,
      '-cp',
      path.join(layout.lib, '*'),
      mainClass,
      ...args,
    ],
  ];
}
