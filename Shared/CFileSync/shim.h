// Linux file calls that Swift's Glibc module does not export: sync_file_range.
// Only Services/DocumentStore imports this module (Storage/FileIO.swift).
#ifndef CLIENTELE_CFILESYNC_SHIM_H
#define CLIENTELE_CFILESYNC_SHIM_H
#include <stdint.h>

// No _GNU_SOURCE (see Shared/CLinuxIO/shim.h): the declaration and its flag are given here.
extern int sync_file_range(int fd, int64_t offset, int64_t nbytes, unsigned int flags);

/// Starts writing the file's dirty pages in [offset, offset + length) to the device without
/// waiting for them (SYNC_FILE_RANGE_WRITE). Not durability: a later fsync still makes the file
/// durable, and finds less to write. 0, or -1 with errno.
static inline int clientele_start_writeback(int fd, int64_t offset, int64_t length) {
    return sync_file_range(fd, offset, length, 2 /* SYNC_FILE_RANGE_WRITE */);
}
#endif
