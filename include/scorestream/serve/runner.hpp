#pragma once
// Runners execute a deadline strategy's primary model off the pipeline thread.
//
// A primary_job is one primary run: the pipeline thread fills it (model, a copy of the feature row
// that owns its strings, deadline), hands it to a runner, and waits for it until the deadline. The
// job's state machine, guarded by the job's mutex, makes a late result safe to drop:
//
//     free -> running -> done         (finished; the pipeline thread reads the answer, then frees it)
//                     -> abandoned    (deadline passed; the pipeline thread has moved on)
//                        -> late_done (finished after all; freed and counted at the next record)
//
// Between `running` and `done`/`late_done` only the runner touches the model, row and answer;
// outside that window only the pipeline thread does. A runner keeps the job (and the pool it lives
// in) alive through the shared_ptr it is given, so a late run may outlive the pipeline.
//
// thread_pool_runner: worker threads of its own (the default, one thread). scripted_runner: no
// threads; a script says how long each primary run "takes", so tests of the deadline strategy are
// deterministic. Implement runner to run primaries on your own executor.
// Thread-safety: start()/wait() are called by one pipeline thread; jobs run on the runner's threads.

#include <scorestream/model/model.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace scorestream::serve {

class primary_job {
public:
    using clock = std::chrono::steady_clock;
    enum class state : std::uint8_t { free, running, done, abandoned, late_done };

    // Set by the pipeline thread before the job starts; read-only while it runs.
    ModelPtr model;
    std::vector<Value> row;  ///< feature row; string values point into `text`
    std::string text;        ///< owns the row's strings: the record may be reused while the job runs
    clock::time_point started;
    std::chrono::nanoseconds budget{0};
    // Written by the runner while the job runs.
    Prediction answer;
    std::chrono::nanoseconds duration{0};  ///< time the primary took (scripted: the scripted time)

    clock::time_point deadline() const noexcept { return started + budget; }

    /// Scores the row with the model and completes the job. Never throws. Skips the model when the
    /// pipeline abandoned the job before it started (its answer could not be used any more).
    void run() noexcept { run_for(std::chrono::nanoseconds(-1)); }

    /// run(), reporting `reported` as the duration instead of the measured one when it is >= 0.
    void run_for(std::chrono::nanoseconds reported) noexcept {
        if (abandoned()) {
            complete();
            return;
        }
        const auto t0 = clock::now();
        try {
            model->score(FeatureRow(row.data(), row.size()), answer);
        } catch (const std::exception& e) {
            try {
                answer.error = std::string("model threw: ") + e.what();
            } catch (...) {
            }
        } catch (...) {
            answer.error = "model threw a non-standard exception";
        }
        duration = reported.count() >= 0 ? reported : std::chrono::nanoseconds(clock::now() - t0);
        complete();
    }

    /// Waits until the job completes or `until`; true when it completed (state done).
    bool wait_until(clock::time_point until) {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait_until(lock, until, [this] { return st_ != state::running; });
        return st_ == state::done;
    }

    // --- used by the deadline strategy on the pipeline thread --------------------------------
    /// Marks a job that is about to be handed to a runner.
    void begin() {
        std::lock_guard<std::mutex> lock(m_);
        st_ = state::running;
    }
    /// Gives up on a running job. False when it had completed after all (its answer is usable).
    bool abandon() {
        std::lock_guard<std::mutex> lock(m_);
        if (st_ != state::running) return false;
        st_ = state::abandoned;
        return true;
    }
    state current() const {
        std::lock_guard<std::mutex> lock(m_);
        return st_;
    }
    /// Frees a done or late_done job for reuse.
    void release() {
        std::lock_guard<std::mutex> lock(m_);
        st_ = state::free;
    }

private:
    bool abandoned() const {
        std::lock_guard<std::mutex> lock(m_);
        return st_ == state::abandoned;
    }
    void complete() noexcept {
        // Notified under the lock: once the pipeline thread sees `done` it may reuse the job at
        // once, so the runner must not touch it after unlocking.
        std::lock_guard<std::mutex> lock(m_);
        st_ = st_ == state::abandoned ? state::late_done : state::done;
        cv_.notify_all();
    }

    mutable std::mutex m_;
    std::condition_variable cv_;
    state st_ = state::free;
};

/// Where primaries run. Implementations must eventually call job->run() (or run_for()) exactly
/// once per start(), and keep `job` (a shared_ptr that keeps its pool alive) until then. A start()
/// that throws must not keep the job: the record then goes to the fallback.
class runner {
public:
    virtual ~runner() = default;
    virtual void start(std::shared_ptr<primary_job> job) = 0;
    /// Waits for the job until its deadline; true when it completed in time.
    virtual bool wait(primary_job& job) { return job.wait_until(job.deadline()); }
};

/// Runs primaries on worker threads of its own. The destructor lets the workers finish what is
/// queued (skipping abandoned jobs) and joins them.
class thread_pool_runner final : public runner {
public:
    explicit thread_pool_runner(std::size_t threads = 1) {
        if (threads == 0) threads = 1;
        workers_.reserve(threads);
        for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
    }
    ~thread_pool_runner() override {
        {
            std::lock_guard<std::mutex> lock(m_);
            stopping_ = true;
        }
        cv_.notify_all();
        for (auto& t : workers_) t.join();
    }
    thread_pool_runner(const thread_pool_runner&) = delete;
    thread_pool_runner& operator=(const thread_pool_runner&) = delete;

    void start(std::shared_ptr<primary_job> job) override {
        {
            std::lock_guard<std::mutex> lock(m_);
            queue_.push_back(std::move(job));
            ++pending_;
        }
        cv_.notify_one();
    }

    /// Blocks until every started job has run (for tests and orderly shutdown).
    void wait_idle() {
        std::unique_lock<std::mutex> lock(m_);
        idle_.wait(lock, [this] { return pending_ == 0; });
    }

private:
    void work() {
        std::unique_lock<std::mutex> lock(m_);
        for (;;) {
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and nothing left to do
            std::shared_ptr<primary_job> job = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            job->run();
            job.reset();
            lock.lock();
            if (--pending_ == 0) idle_.notify_all();
        }
    }

    std::mutex m_;
    std::condition_variable cv_;
    std::condition_variable idle_;
    std::deque<std::shared_ptr<primary_job>> queue_;
    std::size_t pending_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

/// A runner for deterministic tests: no threads, no clock. `latency(n)` is how long the n-th
/// primary run (from 0) takes. In wait(), a run whose latency fits the job's budget runs at once
/// and is in time; a longer one stays pending (the strategy falls back) and completes, late, when
/// the next run starts or when complete_late() is called.
class scripted_runner final : public runner {
public:
    explicit scripted_runner(std::function<std::chrono::nanoseconds(std::size_t)> latency)
        : latency_(std::move(latency)) {}

    void start(std::shared_ptr<primary_job> job) override {
        complete_late();  // time has moved on since the last record
        current_ = {std::move(job), latency_(runs_++)};
    }

    bool wait(primary_job& job) override {
        if (current_.job.get() != &job) return job.current() == primary_job::state::done;
        if (current_.latency <= job.budget) {
            job.run_for(current_.latency);
            current_ = {};
            return true;
        }
        late_.push_back(std::move(current_));
        current_ = {};
        return false;
    }

    /// Completes every run left late so far.
    void complete_late() {
        for (auto& p : late_) p.job->run_for(p.latency);
        late_.clear();
    }
    std::size_t late_pending() const noexcept { return late_.size(); }
    std::size_t runs() const noexcept { return runs_; }

private:
    struct pending {
        std::shared_ptr<primary_job> job;
        std::chrono::nanoseconds latency{0};
    };
    std::function<std::chrono::nanoseconds(std::size_t)> latency_;
    pending current_;
    std::vector<pending> late_;
    std::size_t runs_ = 0;
};

}  // namespace scorestream::serve
