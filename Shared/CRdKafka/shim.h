// librdkafka. Only Shared/Kafka imports this module.
#ifndef CLIENTELE_CRDKAFKA_SHIM_H
#define CLIENTELE_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#endif
