#pragma once
// parallel(): a pipeline split into partitions that run on worker threads.
//
//     auto p = parallel(source, control, by_key([](const io::row& r) { return r.data_type(); }),
//                       [&](auto data, auto control, std::size_t partition) {
//                           return std::move(data) | join(std::move(control), registry) | score()
//                                  | sink(outputs[partition]);
//                       },
//                       parallel_options{});
//     p.run();   // dispatches on this thread; partitions run on the executor; drains at the end
//
// The dispatcher (the thread calling poll()/run()) reads the data source and routes every record
// to one partition (by key hash, by source partition, or round robin) through a bounded lock-free
// queue. It reads the control source too and broadcasts each control message to every partition.
// Each partition is an ordinary pipeline built by the factory over two sources: its share of the
// data and its copy of the control stream.
//
// Ordering: a control message is stamped with an epoch when the dispatcher reads it; records
// dispatched after it carry that epoch or a later one. A partition applies the message before the
// first of its records stamped at or after that epoch, and after every record dispatched before
// it. So in every partition, an update takes effect exactly for the records dispatched after it,
// and records of one key (by_key) stay in order. A partition is not woken for a control message
// alone: it applies it when it runs for its next record, or at the latest when poll() returns
// (run() polls 4096 records at a time, and returns at once when the source is idle).
//
// Backpressure when a partition's queue is full (parallel_options::on_full): block the
// dispatcher until there is room, drop the oldest queued record, or drop the new one. Every drop is
// counted (counters()).
//
// Executors: partitions run as posted work on a Boost.Asio executor: an io_context or thread_pool
// of yours (run it on threads of yours), or by default a thread pool the pipeline owns, with one
// thread per partition. A partition is posted when it has work and runs at most `batch` records
// per turn, so partitions share threads fairly and an idle partition costs nothing.
//
// Shutdown: finish() (and the end of run()) closes every partition's input, lets each drain what
// was dispatched, finishes it (held records emitted, sinks flushed), and waits. An exception thrown
// on a worker is captured and rethrown by poll()/run()/finish() on the caller's thread.
// Thread-safety: poll/run/finish/close/stop are called by one thread (the dispatcher); stop() may
// be called from any thread.

#include <scorestream/stream/bounded_queue.hpp>
#include <scorestream/stream/context.hpp>
#include <scorestream/stream/pipeline.hpp>
#include <scorestream/stream/source.hpp>
#include <scorestream/stream/state_board.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace scorestream {

enum class overflow : std::uint8_t {
    block,        ///< the dispatcher waits until the partition has room (nothing is dropped)
    drop_oldest,  ///< the oldest queued record of that partition is dropped to make room
    drop_newest,  ///< the record being dispatched is dropped
};

struct parallel_options {
    std::size_t partitions = 2;
    std::size_t queue_capacity = 4096;  ///< records per partition queue (rounded up to a power of 2)
    overflow on_full = overflow::block;
    std::size_t batch = 256;              ///< records a partition processes per turn on the executor
    std::size_t threads = 0;              ///< threads of the owned pool (0: one per partition)
    std::size_t control_check_every = 1;  ///< the dispatcher checks the control source every N records
    std::string name = "parallel";
    state_board* board = nullptr;  ///< when set, partition i publishes as "<name>/<i>"
    publish_options publish;       ///< when and how often partitions publish (name ignored)
};

struct parallel_counters {
    std::uint64_t dispatched = 0;          ///< records handed to a partition queue
    std::uint64_t control_broadcasts = 0;  ///< control messages sent to every partition
    std::uint64_t dropped_oldest = 0;
    std::uint64_t dropped_newest = 0;
    std::uint64_t blocked = 0;  ///< times the dispatcher had to wait for room
    std::uint64_t source_errors = 0;
    std::uint64_t control_errors = 0;
};

/// Routes records by a hash of key(record): one key always goes to the same partition.
template <class F>
struct by_key_router {
    F key;
    template <class T>
    std::size_t operator()(const T& r, std::size_t n) const {
        using K = std::decay_t<std::invoke_result_t<const F&, const T&>>;
        return std::hash<K>{}(std::invoke(key, r)) % n;
    }
};
template <class F>
by_key_router<std::decay_t<F>> by_key(F&& key) {
    return {std::forward<F>(key)};
}

/// Routes records by the source partition partition_of(record) returns (modulo the partitions).
template <class F>
struct by_partition_router {
    F partition_of;
    template <class T>
    std::size_t operator()(const T& r, std::size_t n) const {
        return static_cast<std::size_t>(std::invoke(partition_of, r)) % n;
    }
};
template <class F>
by_partition_router<std::decay_t<F>> by_partition(F&& partition_of) {
    return {std::forward<F>(partition_of)};
}

/// Routes records to the partitions in turn.
struct round_robin {
    std::size_t next = 0;
    template <class T>
    std::size_t operator()(const T&, std::size_t n) {
        return next++ % n;
    }
};

namespace detail {

// What the dispatcher and one partition share: its data queue and its copy of the control stream.
template <class T, class C>
struct partition_channel {
    struct data_item {
        T record{};
        std::uint64_t epoch = 0;
    };

    explicit partition_channel(std::size_t capacity) : data(capacity), resume_at(data.capacity() / 2) {}

    bounded_queue<data_item> data;
    // Control messages, each shared by every partition: the dispatcher stores one pointer per
    // partition, and each partition copies the message out on its own thread when it releases it.
    std::mutex control_mutex;
    std::deque<std::pair<std::uint64_t, std::shared_ptr<const C>>> control;
    std::atomic<std::size_t> control_size{0};
    // The epoch of control.front(), written under control_mutex before control_size. Only the
    // partition pops, so while control_size > 0 the front stays put and the partition reads its
    // epoch without the lock: a record dispatched before the message goes first without locking.
    std::atomic<std::uint64_t> front_epoch{0};
    std::atomic<bool> closed{false};

    // Backpressure `block`: a dispatcher that finds the queue full sleeps on `room` until the
    // partition has drained to `resume_at` records (half the capacity) or finished.
    // Waking once per half queue instead of once per freed slot keeps the dispatcher off the
    // cores the partitions need. The flag is set under wait_mutex, so a consumer that takes the
    // flag (exchange) and then the mutex always finds the dispatcher waiting.
    const std::size_t resume_at;
    std::atomic<bool> producer_waiting{false};
    std::mutex wait_mutex;
    std::condition_variable room;

    void wake_producer() {
        if (!producer_waiting.exchange(false)) return;
        std::lock_guard<std::mutex> lock(wait_mutex);
        room.notify_one();
    }
    // Consumer side, after each record taken and at the end of each turn: one relaxed load unless
    // the dispatcher waits.
    void maybe_wake_producer() {
        if (producer_waiting.load(std::memory_order_relaxed) && data.size_approx() <= resume_at)
            wake_producer();
    }

    // Consumer side (one thread at a time): the record popped but not yet handed out, so its
    // epoch can be compared with the next control message.
    data_item pending{};
    bool has_pending = false;

    bool fetch() {
        if (has_pending) return true;
        has_pending = data.try_pop(pending);
        if (has_pending) maybe_wake_producer();
        return has_pending;
    }

    // Work that arrived from the dispatcher: reads atomics only, so it may be called after the
    // consumer has given up its turn.
    bool has_queued_work() {
        std::atomic_thread_fence(std::memory_order_seq_cst);
        return !data.empty_approx() || control_size.load() > 0 || closed.load();
    }
};

}  // namespace detail

/// The data side of one partition: its share of the records.
template <class T, class C>
class partition_source {
public:
    using value_type = T;
    explicit partition_source(std::shared_ptr<detail::partition_channel<T, C>> ch) : ch_(std::move(ch)) {}

    pull next(T& out) {
        auto& ch = *ch_;
        if (!ch.fetch()) {
            // closed is read before the queue is checked again: a record pushed before close()
            // is never missed.
            if (ch.closed.load(std::memory_order_acquire) && !ch.fetch()) return pull::end;
            if (!ch.has_pending) return pull::idle;
        }
        out = std::move(ch.pending.record);
        ch.has_pending = false;
        return pull::item;
    }
    const record_error& error() const noexcept { return error_; }

private:
    std::shared_ptr<detail::partition_channel<T, C>> ch_;
    record_error error_;
};

/// The control side of one partition: every control message, each released just before the
/// first record dispatched after it (see the ordering note at the top).
template <class T, class C>
class partition_control {
public:
    using value_type = C;
    explicit partition_control(std::shared_ptr<detail::partition_channel<T, C>> ch) : ch_(std::move(ch)) {}

    pull next(C& out) {
        auto& ch = *ch_;
        if (ch.control_size.load(std::memory_order_acquire) == 0)
            return ch.closed.load(std::memory_order_acquire) && ch.control_size.load() == 0 ? pull::end
                                                                                            : pull::idle;
        // Records dispatched before the message go first.
        if (ch.fetch() && ch.pending.epoch < ch.front_epoch.load(std::memory_order_relaxed))
            return pull::idle;
        std::shared_ptr<const C> message;
        {
            std::lock_guard<std::mutex> lock(ch.control_mutex);
            message = std::move(ch.control.front().second);
            ch.control.pop_front();
            if (!ch.control.empty())
                ch.front_epoch.store(ch.control.front().first, std::memory_order_relaxed);
            ch.control_size.store(ch.control.size(), std::memory_order_release);
        }
        out = *message;  // the copy is made here, on the partition's thread, outside the lock
        return pull::item;
    }
    const record_error& error() const noexcept { return error_; }

private:
    std::shared_ptr<detail::partition_channel<T, C>> ch_;
    record_error error_;
};

template <class Source, class Control, class Router, class Factory>
class parallel_pipeline {
public:
    using data_type = typename Source::value_type;
    using control_type = typename Control::value_type;
    using channel = detail::partition_channel<data_type, control_type>;
    using data_source = partition_source<data_type, control_type>;
    using control_source = partition_control<data_type, control_type>;
    using partition_pipeline = std::invoke_result_t<Factory&, data_source, control_source, std::size_t>;

    parallel_pipeline(Source source, Control control, Router router, Factory factory, parallel_options opts,
                      std::optional<boost::asio::any_io_executor> executor)
        : source_(std::move(source)),
          control_(std::move(control)),
          router_(std::move(router)),
          opts_(std::move(opts)) {
        if (opts_.partitions == 0) throw invalid_value_error("parallel: partitions must be at least 1");
        if (opts_.batch == 0) opts_.batch = 1;
        if (opts_.control_check_every == 0) opts_.control_check_every = 1;
        if (executor) {
            executor_ = *executor;
        } else {
            pool_ =
                std::make_unique<boost::asio::thread_pool>(opts_.threads ? opts_.threads : opts_.partitions);
            executor_ = pool_->get_executor();
        }
        shared_ = std::make_shared<completion>();
        for (std::size_t i = 0; i < opts_.partitions; ++i) {
            auto ch = std::make_shared<channel>(opts_.queue_capacity);
            auto w = std::make_shared<worker>(ch, factory(data_source(ch), control_source(ch), i),
                                              opts_.batch, executor_, shared_);
            if (opts_.board) {
                if constexpr (can_publish<partition_pipeline>::value) {
                    publish_options po = opts_.publish;
                    po.name = opts_.name + "/" + std::to_string(i);
                    w->pipeline.publish_to(*opts_.board, po);
                } else {
                    throw invalid_value_error(
                        "parallel: options.board is set but the partitions' pipeline type "
                        "cannot publish_to() a state_board");
                }
            }
            workers_.push_back(std::move(w));
        }
    }

    parallel_pipeline(const parallel_pipeline&) = delete;
    parallel_pipeline& operator=(const parallel_pipeline&) = delete;

    ~parallel_pipeline() {
        try {
            close();
            wait();
        } catch (...) {
            // A worker's exception that nobody asked for: finish() is the place to see it.
        }
        if (pool_) pool_->join();
    }

    /// Replaces the handler of the dispatcher's own errors (malformed data or control messages).
    parallel_pipeline& on_error(error_handler h) {
        ctx_.set_error_handler(std::move(h));
        return *this;
    }

    /// Dispatches at most `max_records` records (with the control messages due) and returns.
    /// When the data source ends, closes the partitions (they drain on their own; see finish()).
    poll_result poll(std::size_t max_records = 4096) {
        poll_result r;
        rethrow_worker_error();
        if (closed_) {
            r.done = all_finished();
            r.idle = !r.done;
            return r;
        }
        while (r.records < max_records) {
            if (++tick_ >= opts_.control_check_every) {
                tick_ = 0;
                dispatch_control();
            }
            switch (source_.next(item_)) {
                case pull::item:
                    dispatch(std::move(item_));
                    ++r.records;
                    break;
                case pull::error:
                    ++counters_.source_errors;
                    ctx_.report(error_kind::data_source, source_.error());
                    ++r.records;
                    break;
                case pull::idle:
                    r.idle = true;
                    wake_for_control();
                    return r;
                case pull::end:
                    dispatch_control();
                    close();
                    r.idle = true;
                    return r;
            }
        }
        wake_for_control();
        return r;
    }

    /// Dispatches until the data source ends or stop() is called, then finishes: every partition
    /// drains what it was given and finishes. Rethrows a worker's exception.
    void run() {
        auto pause = std::chrono::microseconds(0);
        while (!stop_.load(std::memory_order_relaxed) && !closed_) {
            auto r = poll(4096);
            if (r.records > 0) {
                pause = std::chrono::microseconds(0);
            } else if (r.idle && !closed_) {
                std::this_thread::sleep_for(pause);
                pause = std::clamp(pause * 2, std::chrono::microseconds(20), std::chrono::microseconds(1000));
            }
        }
        finish();
    }

    /// Asks run() to stop dispatching; it then drains and finishes. Safe from any thread.
    void stop() noexcept { stop_.store(true, std::memory_order_relaxed); }

    /// No more input: every partition drains what it was given and finishes, on its own.
    void close() {
        if (closed_) return;
        closed_ = true;
        for (auto& w : workers_) {
            w->ch->closed.store(true, std::memory_order_release);
            w->schedule();
        }
    }

    /// Closes, waits until every partition has finished, and rethrows a worker's exception.
    /// The executor must be running (on other threads) for this to return.
    void finish() {
        close();
        wait();
        rethrow_worker_error();
    }

    /// True when every partition has finished (after close()).
    bool done() const { return closed_ && all_finished(); }

    const parallel_counters& counters() const noexcept { return counters_; }
    std::size_t partitions() const noexcept { return workers_.size(); }

    /// Partition i's pipeline, for its counters and stats. Only read it after finish() (or through
    /// the state_board while running): it belongs to a worker thread until then.
    const partition_pipeline& partition(std::size_t i) const { return workers_.at(i)->pipeline; }

private:
    template <class P, class = void>
    struct can_publish : std::false_type {};
    template <class P>
    struct can_publish<P, std::void_t<decltype(std::declval<P&>().publish_to(
                              std::declval<state_board&>(), std::declval<publish_options>()))>>
        : std::true_type {};

    struct completion {
        std::mutex mutex;
        std::condition_variable cv;
        std::size_t finished = 0;
        std::exception_ptr error;
    };

    // One partition: its channel, its pipeline and its scheduling on the executor.
    struct worker : std::enable_shared_from_this<worker> {
        worker(std::shared_ptr<channel> c, partition_pipeline p, std::size_t b,
               boost::asio::any_io_executor e, std::shared_ptr<completion> d)
            : ch(std::move(c)),
              pipeline(std::move(p)),
              batch(b),
              executor(std::move(e)),
              done(std::move(d)) {}

        void schedule() {
            // A turn is posted only when none is pending; the fence pairs with the one in
            // has_work(), so a record pushed while a turn ends is never left unprocessed.
            std::atomic_thread_fence(std::memory_order_seq_cst);
            if (scheduled.load(std::memory_order_relaxed)) return;
            if (scheduled.exchange(true)) return;
            if (finished.load()) {
                scheduled.store(false);
                return;
            }
            boost::asio::post(executor, [self = this->shared_from_this()] { self->turn(); });
        }

        void turn() {
            bool ended = false;
            try {
                ended = pipeline.poll(batch).done;
            } catch (...) {
                std::lock_guard<std::mutex> lock(done->mutex);
                if (!done->error) done->error = std::current_exception();
                ended = true;
            }
            if (ended) {
                finished.store(true);
                scheduled.store(false);
                ch->producer_waiting.store(true);  // a waiting dispatcher must see `finished`
                ch->wake_producer();
                std::lock_guard<std::mutex> lock(done->mutex);
                ++done->finished;
                done->cv.notify_all();
                return;
            }
            // Checked again after a fence at the end of every turn (it pairs with the fence in
            // wait_for_room): a dispatcher never sleeps on a partition that drained and went idle.
            std::atomic_thread_fence(std::memory_order_seq_cst);
            ch->maybe_wake_producer();
            if (ch->has_pending) {
                // A record is waiting behind a control message: keep the turn and go again.
                // (has_pending belongs to whoever holds the turn, so it is read before letting go.)
                boost::asio::post(executor, [self = this->shared_from_this()] { self->turn(); });
                return;
            }
            scheduled.store(false);
            if (ch->has_queued_work()) schedule();
        }

        std::shared_ptr<channel> ch;
        partition_pipeline pipeline;
        std::size_t batch;
        boost::asio::any_io_executor executor;
        std::shared_ptr<completion> done;
        std::atomic<bool> scheduled{false};
        std::atomic<bool> finished{false};
        bool control_due = false;  ///< control messages queued since it was last scheduled (dispatcher only)
    };

    void dispatch(data_type&& record) {
        const std::size_t i = router_(std::as_const(record), workers_.size());
        worker& w = *workers_[i];
        typename channel::data_item item{std::move(record), epoch_};
        if (!w.ch->data.try_push(item)) {
            switch (opts_.on_full) {
                case overflow::drop_newest:
                    ++counters_.dropped_newest;
                    w.control_due = false;
                    w.schedule();
                    return;
                case overflow::drop_oldest: {
                    typename channel::data_item oldest;
                    while (!w.ch->data.try_push(item))
                        if (w.ch->data.try_pop(oldest)) ++counters_.dropped_oldest;
                    break;
                }
                case overflow::block: {
                    ++counters_.blocked;
                    wake_for_control();  // the other partitions may apply theirs while this one drains
                    w.schedule();
                    while (!w.ch->data.try_push(item)) {
                        if (w.finished.load()) {
                            // The partition died (its exception is rethrown below); nothing can drain it.
                            rethrow_worker_error();
                            throw error("parallel: partition " + std::to_string(i) +
                                        " finished while input was pending");
                        }
                        wait_for_room(w);
                    }
                    break;
                }
            }
        }
        ++counters_.dispatched;
        w.control_due = false;  // its turn applies the control messages before this record
        w.schedule();
    }

    void dispatch_control() {
        for (;;) {
            const pull r = control_.next(control_item_);
            if (r == pull::error) {
                ++counters_.control_errors;
                ctx_.report(error_kind::control_source, control_.error());
                continue;
            }
            if (r != pull::item) return;
            ++epoch_;
            ++counters_.control_broadcasts;
            // One shared copy for every partition: the dispatcher does not copy per partition.
            auto message = std::make_shared<const control_type>(std::move(control_item_));
            control_item_ = control_type{};
            for (auto& w : workers_) {
                {
                    std::lock_guard<std::mutex> lock(w->ch->control_mutex);
                    if (w->ch->control.empty()) w->ch->front_epoch.store(epoch_, std::memory_order_relaxed);
                    w->ch->control.emplace_back(epoch_, message);
                    w->ch->control_size.store(w->ch->control.size(), std::memory_order_release);
                }
                // Not woken now: the partition applies the message when it next runs, for its next
                // record (a record schedules it anyway) or when poll() returns (wake_for_control),
                // so an update storm does not wake every idle partition once per update.
                w->control_due = true;
                control_due_ = true;
            }
        }
    }

    // Schedules the partitions that have control messages but no record to run them with.
    void wake_for_control() {
        if (!control_due_) return;
        control_due_ = false;
        for (auto& w : workers_) {
            if (!w->control_due) continue;
            w->control_due = false;
            w->schedule();
        }
    }

    // Sleeps until partition w has drained to half its queue or finished. The wait is bounded
    // (2 ms) only as a safety net; the partition's wake-ups are what ends it.
    static void wait_for_room(worker& w) {
        channel& ch = *w.ch;
        std::unique_lock<std::mutex> lock(ch.wait_mutex);
        ch.producer_waiting.store(true, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (ch.data.size_approx() > ch.resume_at && !w.finished.load())
            ch.room.wait_for(lock, std::chrono::milliseconds(2));
        ch.producer_waiting.store(false, std::memory_order_relaxed);
    }

    void wait() {
        std::unique_lock<std::mutex> lock(shared_->mutex);
        shared_->cv.wait(lock, [this] { return shared_->finished == workers_.size(); });
    }

    bool all_finished() const {
        std::lock_guard<std::mutex> lock(shared_->mutex);
        return shared_->finished == workers_.size();
    }

    void rethrow_worker_error() {
        std::exception_ptr e;
        {
            std::lock_guard<std::mutex> lock(shared_->mutex);
            e = shared_->error;
            shared_->error = nullptr;
        }
        if (e) {
            close();
            wait();
            std::rethrow_exception(e);
        }
    }

    Source source_;
    Control control_;
    Router router_;
    parallel_options opts_;
    std::unique_ptr<boost::asio::thread_pool> pool_;
    boost::asio::any_io_executor executor_;
    std::shared_ptr<completion> shared_;
    std::vector<std::shared_ptr<worker>> workers_;
    pipeline_context ctx_;
    parallel_counters counters_;
    data_type item_{};
    control_type control_item_{};
    std::uint64_t epoch_ = 0;
    std::size_t tick_ = 0;
    bool control_due_ = false;  ///< some partition has control_due set
    bool closed_ = false;
    std::atomic<bool> stop_{false};
};

/// Builds a partitioned pipeline; see the top of this header. `factory(data, control, index)`
/// returns partition `index`'s pipeline over its two sources. Partitions run on `executor` (an
/// io_context's or thread_pool's executor, run by your threads), or on an owned thread pool.
template <class Source, class Control, class Router, class Factory>
auto parallel(Source source, Control control, Router router, Factory factory, parallel_options options = {},
              std::optional<boost::asio::any_io_executor> executor = std::nullopt) {
    static_assert(is_source_v<Source>, "scorestream::parallel: the first argument must be a data source");
    static_assert(is_source_v<Control>,
                  "scorestream::parallel: the second argument must be a control source");
    using T = typename Source::value_type;
    using C = typename Control::value_type;
    static_assert(std::is_invocable_v<Factory&, partition_source<T, C>, partition_control<T, C>, std::size_t>,
                  "scorestream::parallel: the factory must be callable as factory(partition_source<T, C>, "
                  "partition_control<T, C>, std::size_t index) and return a pipeline");
    static_assert(std::is_copy_constructible_v<C>,
                  "scorestream::parallel: control messages are broadcast to every partition, so they must be "
                  "copyable");
    return std::make_unique<parallel_pipeline<Source, Control, Router, Factory>>(
        std::move(source), std::move(control), std::move(router), std::move(factory), std::move(options),
        std::move(executor));
}

}  // namespace scorestream
