#pragma once
// In-memory sources: from(vector), generate(f), control_queue<T> (fed by other threads), and
// script<D, C> (a fixed interleaving of data and control, for deterministic tests and demos); and
// arrival_signal, with which a source tells a waiting thread that something arrived.

#include <scorestream/stream/source.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace scorestream {

/// Yields the elements of a vector in order, then ends.
template <class T>
class vector_source {
public:
    using value_type = T;
    explicit vector_source(std::vector<T> items) : items_(std::move(items)) {}
    pull next(T& out) {
        if (pos_ == items_.size()) return pull::end;
        detail::move_record(out, items_[pos_++]);
        return pull::item;
    }
    const record_error& error() const noexcept { return error_; }

private:
    std::vector<T> items_;
    std::size_t pos_ = 0;
    record_error error_;
};

template <class T>
vector_source<T> from(std::vector<T> items) {
    return vector_source<T>(std::move(items));
}

/// Yields f() until it returns an empty optional.
template <class F>
class generator_source {
public:
    using value_type = typename std::invoke_result_t<F&>::value_type;
    explicit generator_source(F f) : f_(std::move(f)) {}
    pull next(value_type& out) {
        if (ended_) return pull::end;
        auto v = f_();
        if (!v) {
            ended_ = true;
            return pull::end;
        }
        out = std::move(*v);
        return pull::item;
    }
    const record_error& error() const noexcept { return error_; }

private:
    F f_;
    bool ended_ = false;
    record_error error_;
};

template <class F>
generator_source<std::decay_t<F>> generate(F&& f) {
    return generator_source<std::decay_t<F>>(std::forward<F>(f));
}

/// Wakes a thread that waits for a source to have something: the source calls notify() after
/// each message it makes available and when it ends; the waiting thread calls wait(), which
/// returns at once if notify() was called since the last wait() returned. Sources that can do
/// this offer `void notify_on_arrival(std::shared_ptr<arrival_signal>)` (control_queue's reader
/// does); built_models() then sleeps until a descriptor arrives instead of polling.
/// Thread-safety: notify() from any thread; wait() and wait_for() from one thread at a time.
class arrival_signal {
public:
    void notify() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            notified_ = true;
        }
        cv_.notify_one();
    }
    void wait() {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [this] { return notified_; });
        notified_ = false;
    }
    /// As wait(), for at most `d`; true when notified.
    template <class Rep, class Period>
    bool wait_for(std::chrono::duration<Rep, Period> d) {
        std::unique_lock<std::mutex> lock(mutex_);
        const bool woken = cv_.wait_for(lock, d, [this] { return notified_; });
        notified_ = false;
        return woken;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool notified_ = false;
};

/// A queue that other threads (or the caller's own loop) push control messages into; its source()
/// is read by a join. Copies share the queue. Control streams are slow, so a mutex is the right
/// tool; the data path only pays for an uncontended lock when it checks for control messages.
/// Thread-safety: push() and close() from any thread; source() is read by one pipeline.
template <class T>
class control_queue {
    struct shared {
        std::mutex mutex;
        std::deque<T> items;
        std::atomic<std::size_t> size{0};
        std::atomic<bool> closed{false};
        std::shared_ptr<arrival_signal> signal;  ///< notified after each push and at close
    };

public:
    control_queue() : shared_(std::make_shared<shared>()) {}

    void push(T message) {
        std::shared_ptr<arrival_signal> signal;
        {
            std::lock_guard<std::mutex> lock(shared_->mutex);
            shared_->items.push_back(std::move(message));
            shared_->size.store(shared_->items.size(), std::memory_order_release);
            signal = shared_->signal;
        }
        if (signal) signal->notify();
    }
    /// No more messages: the source ends once the queue is empty.
    void close() {
        std::shared_ptr<arrival_signal> signal;
        {
            std::lock_guard<std::mutex> lock(shared_->mutex);
            shared_->closed.store(true, std::memory_order_release);
            signal = shared_->signal;
        }
        if (signal) signal->notify();
    }
    std::size_t size() const noexcept { return shared_->size.load(std::memory_order_acquire); }

    class reader {
    public:
        using value_type = T;
        reader() = default;
        explicit reader(std::shared_ptr<shared> s) : shared_(std::move(s)) {}
        pull next(T& out) {
            // Lock-free check first: the data path asks before every record, and the queue is
            // almost always empty. `closed` is read before `size` so a push that precedes
            // close() is never missed.
            const bool closed = shared_->closed.load(std::memory_order_acquire);
            if (shared_->size.load(std::memory_order_acquire) == 0) return closed ? pull::end : pull::idle;
            return take(out);
        }
        const record_error& error() const noexcept { return error_; }

        /// Notifies `signal` after every later push() and at close() (one signal per queue: a
        /// second call replaces the first). Notifies it once now if messages are already queued
        /// or the queue is closed.
        void notify_on_arrival(std::shared_ptr<arrival_signal> signal) {
            bool now = false;
            {
                std::lock_guard<std::mutex> lock(shared_->mutex);
                shared_->signal = signal;
                now = !shared_->items.empty() || shared_->closed.load();
            }
            if (now && signal) signal->notify();
        }

    private:
        SCORESTREAM_COLD pull take(T& out) {
            std::lock_guard<std::mutex> lock(shared_->mutex);
            if (shared_->items.empty()) return shared_->closed.load() ? pull::end : pull::idle;
            out = std::move(shared_->items.front());
            shared_->items.pop_front();
            shared_->size.store(shared_->items.size(), std::memory_order_release);
            return pull::item;
        }

        std::shared_ptr<shared> shared_;
        record_error error_;
    };

    reader source() const { return reader(shared_); }

private:
    std::shared_ptr<shared> shared_;
};

/// A fixed interleaving of data records and control messages. data() and control() are two
/// sources over one script: each yields its next event only when that event is at the head of the
/// script, so a pipeline reading both sees exactly the scripted order.
template <class D, class C>
class script {
    struct state {
        std::deque<std::variant<D, C>> events;
    };

public:
    script() : events_(std::make_shared<state>()) {}

    script& data(D d) {
        events_->events.emplace_back(std::in_place_index<0>, std::move(d));
        return *this;
    }
    script& control(C c) {
        events_->events.emplace_back(std::in_place_index<1>, std::move(c));
        return *this;
    }

    template <class V, std::size_t I>
    class reader {
    public:
        using value_type = V;
        explicit reader(std::shared_ptr<state> s) : s_(std::move(s)) {}
        pull next(V& out) {
            auto& ev = s_->events;
            if (ev.empty()) return pull::end;
            if (ev.front().index() != I) return pull::idle;  // the other stream's turn
            out = std::move(std::get<I>(ev.front()));
            ev.pop_front();
            return pull::item;
        }
        const record_error& error() const noexcept { return error_; }

    private:
        std::shared_ptr<state> s_;
        record_error error_;
    };

    reader<D, 0> data_source() const { return reader<D, 0>(events_); }
    reader<C, 1> control_source() const { return reader<C, 1>(events_); }

private:
    std::shared_ptr<state> events_;
};

}  // namespace scorestream
