#pragma once
// pipeline: a closed chain `source | ... | sink(...)`, run inline in the caller's own loop.
//
//     auto p = source | join(models, registry) | score() | sink(write);
//     while (!p.done()) { p.poll(1000); /* the caller's other work */ }   // bounded steps
//     p.run();                                                            // or: until the end
//
// No hidden threads: poll() does at most `max_records` records of work and returns. Before each
// data record it lets every join check its control source, so a control message that is available
// takes effect for every data record read after it (see docs/architecture.md, "Ordering").
// Thread-safety: one thread drives a pipeline; stop() may be called from any thread or a signal handler.

#include <scorestream/stream/context.hpp>
#include <scorestream/stream/pipe.hpp>
#include <scorestream/stream/source.hpp>
#include <scorestream/stream/state_board.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>
#include <utility>

namespace scorestream {

struct poll_result {
    std::size_t records = 0;  ///< data records (or source errors) processed by this call
    bool idle = false;        ///< the data source had nothing more for now
    bool done = false;        ///< the data source ended and the pipeline has finished
};

template <class Source, class Chain>
class pipeline {
public:
    using source_type = Source;

    pipeline(Source src, Chain chain, std::unique_ptr<pipeline_context> ctx)
        : src_(std::move(src)), chain_(std::move(chain)), ctx_(std::move(ctx)) {}

    pipeline(pipeline&&) = default;
    pipeline& operator=(pipeline&&) = default;

    /// Replaces the error handler (default: one line per error on stderr).
    pipeline& on_error(error_handler h) {
        ctx_->set_error_handler(std::move(h));
        return *this;
    }

    /// Publishes snapshots of this pipeline's counters and stats to `board` while it runs (after
    /// polls, when options.every_records or options.every has passed) and when it finishes.
    pipeline& publish_to(state_board& board, publish_options options = {}) {
        publisher_ = std::make_unique<snapshot_publisher>(board, std::move(options));
        publisher_->maybe_publish(*ctx_, finished_, /*force=*/true);
        return *this;
    }

    /// Processes at most `max_records` data records and returns. When the data source ends, the
    /// pipeline finishes: records still held for a model are emitted (with a reason) and sinks flush.
    poll_result poll(std::size_t max_records = 1024) {
        poll_result r;
        if (finished_) {
            r.done = true;
            return r;
        }
        struct publish_on_return {
            pipeline* p;
            ~publish_on_return() {
                if (!p->publisher_) return;
                try {
                    p->publisher_->maybe_publish(*p->ctx_, p->finished_);
                } catch (...) {
                    // Out of memory for a snapshot: the next poll tries again; scoring is unaffected.
                }
            }
        } publish{this};
        typename Source::value_type item{};
        while (r.records < max_records) {
            chain_.poll_control();
            switch (src_.next(item)) {
                case pull::item:
                    ++ctx_->counters.records_in;
                    chain_.push(std::move(item));
                    ++r.records;
                    break;
                case pull::error:
                    ctx_->report(error_kind::data_source, src_.error());
                    ++r.records;
                    break;
                case pull::idle:
                    r.idle = true;
                    return r;
                case pull::end:
                    finish();
                    r.done = true;
                    return r;
            }
        }
        return r;
    }

    /// Runs until the data source ends or stop() is called. Waits briefly (up to 1 ms, growing from
    /// a yield) while the source is idle, so an idle pipeline does not spin a core.
    void run() {
        auto pause = std::chrono::microseconds(0);
        while (!ctx_->stop_requested.load(std::memory_order_relaxed)) {
            auto r = poll(4096);
            if (r.done) return;
            if (r.records > 0) {
                pause = std::chrono::microseconds(0);
            } else if (r.idle) {
                if (pause.count() == 0) {
                    std::this_thread::yield();
                    pause = std::chrono::microseconds(50);
                } else {
                    std::this_thread::sleep_for(pause);
                    pause = std::min(pause * 2, std::chrono::microseconds(1000));
                }
            }
        }
    }

    /// Asks run() to return after its current step. Safe from any thread and from signal handlers.
    void stop() noexcept { ctx_->stop_requested.store(true, std::memory_order_relaxed); }

    /// Ends the stream now, as if the source had ended: held records are emitted, sinks flush.
    SCORESTREAM_COLD void finish() {
        if (finished_) return;
        finished_ = true;
        chain_.finish();
        if (publisher_) publisher_->maybe_publish(*ctx_, true);
    }

    bool done() const noexcept { return finished_; }
    const pipeline_counters& counters() const noexcept { return ctx_->counters; }
    const serving_stats& stats() const noexcept { return ctx_->stats; }
    pipeline_context& context() noexcept { return *ctx_; }
    Source& source() noexcept { return src_; }

private:
    Source src_;
    Chain chain_;
    std::unique_ptr<pipeline_context> ctx_;
    std::unique_ptr<snapshot_publisher> publisher_;
    bool finished_ = false;
};

}  // namespace scorestream
