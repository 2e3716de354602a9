#pragma once
// bounded_queue<T>: a fixed-capacity multi-producer multi-consumer queue that moves its elements.
// Each cell carries a sequence number that says whose turn it is (a producer's for lap k, or a
// consumer's), so push and pop are a compare-and-swap on a position counter plus one atomic store,
// with no locks and no allocation after construction.
//
// Why not Boost.Lockfree: in Boost 1.74, spsc_queue::push copies its argument (no move) and
// lockfree::queue requires trivially copyable elements; records own strings and vectors. And the
// drop-oldest backpressure policy needs the producer to take the oldest element itself, which an
// SPSC queue cannot allow. See docs/runtime.md.
// Thread-safety: any number of threads may push and pop concurrently.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace scorestream {

template <class T>
class bounded_queue {
    static_assert(std::is_default_constructible_v<T> && std::is_move_assignable_v<T>,
                  "bounded_queue<T>: T must be default-constructible and move-assignable");

public:
    /// Capacity is rounded up to a power of two (at least 2).
    explicit bounded_queue(std::size_t capacity) {
        std::size_t n = 2;
        while (n < capacity) n <<= 1;
        mask_ = n - 1;
        cells_ = std::make_unique<cell[]>(n);
        for (std::size_t i = 0; i < n; ++i) cells_[i].turn.store(i, std::memory_order_relaxed);
    }

    bounded_queue(const bounded_queue&) = delete;
    bounded_queue& operator=(const bounded_queue&) = delete;

    std::size_t capacity() const noexcept { return mask_ + 1; }

    /// Moves `value` in; false (value untouched) when the queue is full.
    bool try_push(T& value) {
        std::size_t pos = tail_.load(std::memory_order_relaxed);
        for (;;) {
            cell& c = cells_[pos & mask_];
            const std::size_t turn = c.turn.load(std::memory_order_acquire);
            const auto diff = static_cast<std::ptrdiff_t>(turn) - static_cast<std::ptrdiff_t>(pos);
            if (diff == 0) {
                if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
                    c.value = std::move(value);
                    c.turn.store(pos + 1, std::memory_order_release);  // now a consumer's turn
                    return true;
                }
            } else if (diff < 0) {
                return false;  // the cell still holds an element of the previous lap: full
            } else {
                pos = tail_.load(std::memory_order_relaxed);  // another producer took this position
            }
        }
    }

    /// Moves the oldest element into `out`; false when the queue is empty.
    bool try_pop(T& out) {
        std::size_t pos = head_.load(std::memory_order_relaxed);
        for (;;) {
            cell& c = cells_[pos & mask_];
            const std::size_t turn = c.turn.load(std::memory_order_acquire);
            const auto diff = static_cast<std::ptrdiff_t>(turn) - static_cast<std::ptrdiff_t>(pos + 1);
            if (diff == 0) {
                if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
                    out = std::move(c.value);
                    c.turn.store(pos + mask_ + 1, std::memory_order_release);  // a producer's, next lap
                    return true;
                }
            } else if (diff < 0) {
                return false;  // not yet written: empty
            } else {
                pos = head_.load(std::memory_order_relaxed);
            }
        }
    }

    /// An estimate (exact when no push or pop runs concurrently).
    std::size_t size_approx() const noexcept {
        const std::size_t t = tail_.load(std::memory_order_acquire);
        const std::size_t h = head_.load(std::memory_order_acquire);
        return t > h ? t - h : 0;
    }
    bool empty_approx() const noexcept { return size_approx() == 0; }

private:
    struct cell {
        std::atomic<std::size_t> turn{0};
        T value{};
    };
    // Producers and consumers write different counters: keep them on separate cache lines.
    alignas(64) std::atomic<std::size_t> tail_{0};
    alignas(64) std::atomic<std::size_t> head_{0};
    alignas(64) std::size_t mask_ = 0;
    std::unique_ptr<cell[]> cells_;
};

}  // namespace scorestream
