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
// Thread-safety: the returned source is read by one pipeline thread; the builder thread owns the
// wrapped control source. Destroying the source stops and joins the builder thread.

#include <scorestream/model/factory.hpp>
#include <scorestream/stream/score.hpp>
#include <scorestream/stream/sources.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

namespace scorestream {

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
    built_model_source& operator=(built_model_source&&) noexcept = default;
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
            : control(std::move(c)), registry(&r), reader(queue.source()) {}

        void build_loop() {
            ModelDescriptor d;
            auto pause = std::chrono::microseconds(100);
            while (!stopping.load()) {
                const pull r = control.next(d);
                if (r == pull::item) {
                    pause = std::chrono::microseconds(100);
                    item it;
                    try {
                        it.update.model = registry->build(d);
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
                } else if (r == pull::end) {
                    queue.close();
                    return;
                } else {
                    std::unique_lock<std::mutex> lock(wake_mutex);
                    wake.wait_for(lock, pause, [this] { return stopping.load(); });
                    pause = std::min(pause * 2, std::chrono::microseconds(5000));
                }
            }
        }

        void shut_down() {
            stopping.store(true);
            wake.notify_all();
            if (worker.joinable()) worker.join();
        }

        Control control;
        const ModelRegistry* registry;
        control_queue<item> queue;
        typename control_queue<item>::reader reader;
        std::atomic<bool> stopping{false};
        std::atomic<std::size_t> builds{0};
        std::mutex wake_mutex;
        std::condition_variable wake;
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
