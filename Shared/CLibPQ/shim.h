// libpq, the PostgreSQL client library. Only Shared/Postgres imports this module.
#ifndef CLIENTELE_CLIBPQ_SHIM_H
#define CLIENTELE_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
