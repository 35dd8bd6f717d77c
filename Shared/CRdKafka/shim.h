// librdkafka. Only Shared/Kafka imports this module.
#ifndef CLIENTELE_CRDKAFKA_SHIM_H
#define CLIENTELE_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>

/// A non-variadic `rd_kafka_producev` (Swift cannot call C variadic functions).
///
/// Copies key and payload (RD_KAFKA_MSG_F_COPY). `partition` is RD_KAFKA_PARTITION_UA for
/// the default partitioner. `headers` may be NULL; on success librdkafka owns them, on failure
/// the caller still owns them and must destroy them. `opaque` comes back in the delivery report.
static inline rd_kafka_resp_err_t clientele_rd_kafka_produce(rd_kafka_t *rk, const char *topic,
                                                             int32_t partition, const void *key,
                                                             size_t key_length, const void *payload,
                                                             size_t payload_length,
                                                             rd_kafka_headers_t *headers,
                                                             void *opaque) {
    return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY(key, key_length),
                             RD_KAFKA_V_VALUE((void *)payload, payload_length),
                             RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(opaque),
                             RD_KAFKA_V_END);
}

/// RD_KAFKA_PARTITION_UA as a constant Swift can see (the macro is a cast expression).
static inline int32_t clientele_rd_kafka_partition_unassigned(void) { return RD_KAFKA_PARTITION_UA; }
#endif
