/*
 * produce.h - `leadrouter produce`: a kcat for this product's events. Reads
 * events as JSON lines on stdin, encodes each with its topic's Avro schema
 * in the Confluent wire format (key = tenant_id) and produces them with an
 * idempotent producer.
 */
#ifndef LR_PRODUCE_H
#define LR_PRODUCE_H

/* `leadrouter produce [--topic T] [--brokers B] [--kind K] [--registry URL]
 * [-X prop=val]...`. A line is an event object (sent to --topic) or an
 * envelope {"topic": "...", "event": {...}} as `generate` writes (--topic,
 * when given, then selects the envelopes of that topic). 0 when every line
 * was delivered, 1 when some failed (each named on stderr), 2 on bad usage. */
int lr_produce_main(int argc, char **argv);

#endif
