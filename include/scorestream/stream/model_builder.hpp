#pragma once
// built_models(control, registry): builds models off the data path. A builder thread reads the
// ModelDescriptors of `control`, builds each with the registry, and hands the finished model (or
// the reason it failed) to the pipeline as a model_update; join() then publishes it with one
// pointer swap. Use it when models take long to build (large ensembles, many updates) and records
// must not wait for a build, and in the parallel runtime, where a model is built once and shared
// by every partition.
//
//     auto p = source | join(built_models(io::model_directory_source("models"), registry), registry)
//                     | score() | sink(...);
//
// Ordering: an update takes effect for the records read after its build finished (not after the
// descriptor arrived). The descriptor's bytes are dropped from the update once built.
//
// Wake-ups: when the control source can say that something arrived (it offers
// notify_on_arrival(), as control_queue's reader does), the builder thread sleeps until a
// descriptor arrives: one wake-up per burst of descriptors, none while the source is quiet. Other
// sources (a directory, a Kafka topic) are polled, backing off from 100 us to 5 ms while idle.
//
// Retiring replaced models: the model in an update is shared by every pipeline (partition) that
// applies it, and whichever releases it last would destroy it, on its own thread, between two
// records. Instead, the last release hands the model back to the builder thread (a lock and a
// push onto a list whose capacity is kept), which destroys it when it next wakes. The builder wakes at
// the next descriptor, and once about 100 ms after it published a model; a release wakes it only
// when neither is ahead (it sleeps with no deadline), and the builder then lingers 100 ms for the
// releases that follow. So in a storm of updates retiring costs the partitions no wake-up, and
// a trickle of releases at most one per 100 ms. A model released after the builder stopped is
// destroyed where it is released.
// Thread-safety: the returned source is read by one pipeline thread; the builder thread owns the
// wrapped control source. Destroying the source stops and joins the builder thread.

#include <scorestream/model/factory.hpp>
#include <scorestream/stream/score.hpp>
#include <scorestream/stream/sources.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace scorestream {

namespace detail {
template <class S, class = void>
struct has_arrival_signal : std::false_type {};
template <class S>
struct has_arrival_signal<S, std::void_t<decltype(std::declval<S&>().notify_on_arrival(
                                 std::declval<std::shared_ptr<arrival_signal>>()))>> : std::true_type {};

// Models released by the pipelines, waiting for the builder thread to destroy them.
class model_retirement {
public:
    explicit model_retirement(std::shared_ptr<arrival_signal> builder) : builder_(std::move(builder)) {}

    // Called where the last user of a published model lets go of it (a partition's thread), from
    // a deleter: never throws.
    void retire(ModelPtr&& m) noexcept {
        std::unique_lock<std::mutex> lock(mutex_);
        bool kept = false;
        if (!closed_) {
            try {
                retired_.push_back(std::move(m));  // allocates only until the capacity has grown
                kept = true;
            } catch (...) {
                // No memory for the list: the model is destroyed here instead.
            }
        }
        if (!kept) {
            lock.unlock();
            m.reset();  // the builder has stopped (or the list could not grow): destroyed here
            return;
        }
        const bool wake = asleep_;
        asleep_ = false;
        lock.unlock();
        if (wake) builder_->notify();  // only a builder with no wake-up ahead of it
    }
    // Builder thread, before it sleeps with no deadline: false (do not sleep) when models wait.
    bool may_sleep() {
        std::lock_guard<std::mutex> lock(mutex_);
        asleep_ = retired_.empty();
        return asleep_;
    }
    void woke() {
        std::lock_guard<std::mutex> lock(mutex_);
        asleep_ = false;
    }
    // Builder thread: destroys what was retired since the last call. The two lists trade places,
    // so each keeps its capacity.
    void destroy_retired() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (retired_.empty()) return;
            retired_.swap(spare_);
        }
        const std::size_t n = spare_.size();
        spare_.clear();
        destroyed_.fetch_add(n);
    }
    // When the builder stops: destroys what is retired; later releases destroy in place.
    void close() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            closed_ = true;
            retired_.swap(spare_);
        }
        const std::size_t n = spare_.size();
        spare_.clear();
        destroyed_.fetch_add(n);
    }
    std::uint64_t destroyed() const noexcept { return destroyed_.load(); }

private:
    std::mutex mutex_;
    std::vector<ModelPtr> retired_;  // under mutex_
    std::vector<ModelPtr> spare_;    // builder thread only
    std::shared_ptr<arrival_signal> builder_;
    bool asleep_ = false;  // the builder sleeps until notified (under mutex_)
    bool closed_ = false;
    std::atomic<std::uint64_t> destroyed_{0};
};

// The deleter of the handle a published model travels under: it destroys nothing itself.
struct retire_on_release {
    std::shared_ptr<model_retirement> retirement;
    ModelPtr model;
    void operator()(const Model*) { retirement->retire(std::move(model)); }
};
}  // namespace detail

template <class Control>
class built_model_source {
    static_assert(std::is_same_v<typename Control::value_type, ModelDescriptor>,
                  "built_models(control, registry): the control source must yield ModelDescriptor");

public:
    using value_type = model_update;

    built_model_source(Control control, const ModelRegistry& registry)
        : shared_(std::make_shared<shared>(std::move(control), registry)) {
        shared_->worker = std::thread([s = shared_] { s->build_loop(); });
    }
    built_model_source(built_model_source&&) noexcept = default;
    /// Stops the builder this source had (as its destructor would) before taking `other`'s.
    built_model_source& operator=(built_model_source&& other) noexcept {
        if (this != &other) {
            if (shared_) shared_->shut_down();
            shared_ = std::move(other.shared_);
            item_ = std::move(other.item_);
            error_ = std::move(other.error_);
        }
        return *this;
    }
    ~built_model_source() {
        if (shared_) shared_->shut_down();
    }

    pull next(model_update& out) {
        const pull r = shared_->reader.next(item_);
        if (r != pull::item) return r;
        if (item_.failed_to_read) {
            error_ = std::move(item_.read_error);
            return pull::error;  // the wrapped source could not read a descriptor
        }
        out = std::move(item_.update);
        return pull::item;
    }
    const record_error& error() const noexcept { return error_; }

    /// Models built so far (successful or not); for tests and diagnostics.
    std::size_t builds() const noexcept { return shared_->builds.load(); }
    /// Times the builder thread went to sleep waiting for its control source; for tests and
    /// diagnostics.
    std::size_t waits() const noexcept { return shared_->waits.load(); }
    /// Models the pipelines released (replaced) that the builder thread destroyed so far.
    std::uint64_t retired() const noexcept { return shared_->retirement->destroyed(); }

private:
    // What the builder thread hands over: a built (or failed) update, or a read error of the
    // wrapped source, in the order they happened.
    struct item {
        model_update update;
        bool failed_to_read = false;
        record_error read_error;
    };

    struct shared {
        shared(Control c, const ModelRegistry& r)
            : control(std::move(c)),
              registry(&r),
              reader(queue.source()),
              signal(std::make_shared<arrival_signal>()),
              retirement(std::make_shared<detail::model_retirement>(signal)) {
            if constexpr (detail::has_arrival_signal<Control>::value) control.notify_on_arrival(signal);
        }

        void build_loop() {
            ModelDescriptor d;
            auto pause = std::chrono::microseconds(100);
            bool linger = false;  // models may be retired soon: the next sleep has a deadline
            bool ended = false;
            while (!stopping.load()) {
                const pull r = ended ? pull::end : control.next(d);
                if (r == pull::item) {
                    pause = std::chrono::microseconds(100);
                    item it;
                    try {
                        ModelPtr m = registry->build(d);
                        if (m) {
                            // The pipelines get a handle whose release hands the model back here.
                            const Model* raw = m.get();
                            it.update.model =
                                ModelPtr(raw, detail::retire_on_release{retirement, std::move(m)});
                            linger = true;
                        }
                    } catch (const std::exception& e) {
                        it.update.error = e.what();
                    }
                    d.clear_content();  // the bytes are not needed once built
                    it.update.descriptor = std::move(d);
                    d = ModelDescriptor{};
                    ++builds;
                    queue.push(std::move(it));
                } else if (r == pull::error) {
                    item it;
                    it.failed_to_read = true;
                    it.read_error = control.error();
                    queue.push(std::move(it));
                } else {
                    // Idle, or ended (then the thread stays until stopped, to destroy the models
                    // the pipelines retire).
                    if (r == pull::end && !ended) {
                        ended = true;
                        queue.close();
                    }
                    retirement->destroy_retired();
                    if (ended || detail::has_arrival_signal<Control>::value) {
                        // Woken by the next arrival or by stop(). After publishing, wake once
                        // more within 100 ms anyway, to destroy the model that publication replaced.
                        if (linger) {
                            linger = false;
                            ++waits;
                            signal->wait_for(std::chrono::milliseconds(100));
                        } else if (retirement->may_sleep()) {
                            ++waits;
                            signal->wait();  // also woken by a model retired meanwhile
                            retirement->woke();
                            linger = true;  // more retirements may follow: batch them
                        }
                    } else {
                        ++waits;
                        signal->wait_for(pause);
                        pause = std::min(pause * 2, std::chrono::microseconds(5000));
                    }
                }
            }
        }

        void shut_down() {
            stopping.store(true);
            signal->notify();
            if (worker.joinable()) worker.join();
            retirement->close();
        }

        Control control;
        const ModelRegistry* registry;
        control_queue<item> queue;
        typename control_queue<item>::reader reader;
        std::shared_ptr<arrival_signal> signal;  // notified on arrival (when the source can) and at stop
        std::shared_ptr<detail::model_retirement> retirement;
        std::atomic<bool> stopping{false};
        std::atomic<std::size_t> builds{0};
        std::atomic<std::size_t> waits{0};
        std::thread worker;
    };

    std::shared_ptr<shared> shared_;
    item item_;
    record_error error_;
};

/// Wraps a control source of ModelDescriptors so that models are built on a builder thread.
template <class Control>
built_model_source<std::decay_t<Control>> built_models(Control&& control, const ModelRegistry& registry) {
    return built_model_source<std::decay_t<Control>>(std::forward<Control>(control), registry);
}

}  // namespace scorestream
