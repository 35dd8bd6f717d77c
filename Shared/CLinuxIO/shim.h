// Linux I/O calls that Swift's Glibc module does not export: epoll, eventfd and accept4.
// Only Shared/HTTP imports this module.
#ifndef CLIENTELE_CLINUXIO_SHIM_H
#define CLIENTELE_CLINUXIO_SHIM_H
// No _GNU_SOURCE here: it changes glibc's struct definitions (fd_set's field names), and
// Clang then rejects the mismatch with the same headers seen through Dispatch/Foundation.
// accept4 is declared below instead.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

extern int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC; a function so the flag macros stay in C.
static inline int clientele_accept_nonblocking(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

/// The epoll_event's data field as a 64-bit value (it is a union in C).
static inline uint64_t clientele_epoll_event_data(const struct epoll_event *event) {
    return event->data.u64;
}

/// Builds an epoll_event for the given interest set and 64-bit user data.
static inline struct epoll_event clientele_epoll_event_make(uint32_t events, uint64_t data) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = data;
    return event;
}
#endif
