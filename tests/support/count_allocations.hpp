#pragma once
// Counts every heap allocation of the program by replacing the global operator new/delete. For the
// "no allocation per record" proofs. Include it in exactly one source file of a test executable
// (it defines the replacement functions), and read allocations_so_far() around the measured part.

#include <atomic>
#include <cstdlib>
#include <new>

namespace scorestream::testing {
inline std::atomic<long>& allocation_counter() {
    static std::atomic<long> n{0};
    return n;
}
inline long allocations_so_far() { return allocation_counter().load(std::memory_order_relaxed); }
}  // namespace scorestream::testing

// The replacements pair operator new with std::free on purpose (new is malloc here); GCC cannot see
// that and warns once they are inlined together.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
    scorestream::testing::allocation_counter().fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
    scorestream::testing::allocation_counter().fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
// The nothrow forms too (std::stable_sort's temporary buffer uses them): every form of new this
// program can call must come from malloc, since every delete below frees.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    scorestream::testing::allocation_counter().fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    scorestream::testing::allocation_counter().fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n ? n : 1);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
