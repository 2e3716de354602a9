#pragma once
// Deadline ("guaranteed execution time"): a primary model with a time budget and a fast fallback.
// The answer is the primary's when it finishes within the budget, else the fallback's.
//
//     serve::deadline d;
//     d.budget = std::chrono::milliseconds(2);
//     join(models, registry, d) | serve::score()            // members "primary" and "fallback"
//
// Per record: the primary's features are gathered on the pipeline thread and copied into a job
// that owns its strings; the job runs on `executor` (a serve::runner: by default a
// thread_pool_runner with one thread of its own). Meanwhile the fallback scores the record on the
// pipeline thread (speculative_fallback, the default; turn it off when the fallback is not cheap
// and it then runs only when needed). The pipeline waits for the primary until started + budget.
// A primary that is late is abandoned: when it finishes, its result is discarded and counted
// (strategy_stats::late_discarded, at the next record); it never reaches the output. At most
// max_in_flight primaries run at once, late ones included: when all are taken, the record goes
// straight to the fallback (primary_busy), so a stuck primary cannot pile up work or memory.
//
// answered_by: "primary in time", "fallback: primary over 2ms budget", "fallback: primary failed",
// "fallback: primary busy (4 runs in flight)", "fallback: no primary model",
// "primary (no fallback model, no budget)", "fallback: primary could not start" (the runner threw).
// The output's duration (when timed) is the wall time from the primary's start to the answer.
// Thread-safety: the engine belongs to one pipeline thread; see runner.hpp for the job hand-off.

#include <scorestream/error.hpp>
#include <scorestream/serve/group.hpp>
#include <scorestream/serve/runner.hpp>
#include <scorestream/serve/score.hpp>
#include <scorestream/serve/scorer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace scorestream::serve {

class deadline_engine;

struct deadline {
    using engine = deadline_engine;

    std::string primary = "primary";
    std::string fallback = "fallback";
    std::chrono::nanoseconds budget = std::chrono::milliseconds(2);
    bool speculative_fallback = true;  ///< score the fallback while the primary runs
    std::size_t max_in_flight = 4;     ///< primary runs at once, late ones included
    std::shared_ptr<runner> executor;  ///< where primaries run; default: a thread_pool_runner(1)
};

class deadline_engine : public engine_base {
public:
    static constexpr const char* kind = "deadline";

    explicit deadline_engine(deadline d) : opts_(std::move(d)) {
        if (opts_.primary.empty() || opts_.fallback.empty() || opts_.primary == opts_.fallback)
            throw invalid_value_error(
                "serve::deadline: primary and fallback need two different, non-empty roles");
        if (opts_.budget.count() <= 0)
            throw invalid_value_error("serve::deadline: the budget must be positive");
        if (opts_.max_in_flight == 0)
            throw invalid_value_error("serve::deadline: max_in_flight must be >= 1");
        if (!opts_.executor) opts_.executor = std::make_shared<thread_pool_runner>(1);
        roles_ = {opts_.primary, opts_.fallback};
        pool_ = std::make_shared<job_pool>(opts_.max_in_flight);
        owner_.assign(opts_.max_in_flight, nullptr);
        over_budget_.assign("fallback: primary over ");
        detail::append_duration(over_budget_, opts_.budget);
        over_budget_.append(" budget");
        busy_.assign("fallback: primary busy (");
        detail::append_count(busy_, opts_.max_in_flight);
        busy_.append(opts_.max_in_flight == 1 ? " run in flight)" : " runs in flight)");
    }

    const std::vector<std::string>& roles() const noexcept { return roles_; }
    template <class G>
    void init(G&) {}

    template <class T>
    void serve(group<deadline_engine>& g, Scored<T>& out, member_scorer& sc) {
        sweep();
        member& p = g.members[0];
        member& f = g.members[1];
        strategy_stats& st = *g.stats;
        if (!p.installed()) {
            ++g.counters(p).absent;
            fall_back(g, out, sc, false, "fallback: no primary model");
            return;
        }
        if (!f.installed()) {
            ++g.counters(f).absent;
            const bool ok = sc.score(p, out.record);
            member_scorer::answer(out, p);
            ++g.counters(p).answered;
            if (!ok) ++g.counters(p).failed;
            out.answered_by.assign("primary (no fallback model, no budget)");
            return;
        }
        const std::size_t slot = free_job();
        if (slot == npos) {
            ++st.primary_busy;
            fall_back(g, out, sc, false, busy_);
            return;
        }
        sc.gather(p, out.record);
        primary_job& job = pool_->jobs[slot];
        owner_[slot] = &st;
        prepare(job, p);
        job.started = primary_job::clock::now();
        job.budget = opts_.budget;
        job.begin();
        try {
            opts_.executor->start(std::shared_ptr<primary_job>(pool_, &job));
        } catch (...) {  // a runner that cannot take the job: the record still gets an answer
            job.release();
            ++st.primary_failed;
            fall_back(g, out, sc, false, "fallback: primary could not start");
            return;
        }

        bool fallback_scored = false;
        if (opts_.speculative_fallback) {
            if (!sc.score(f, out.record)) ++g.counters(f).failed;
            fallback_scored = true;
        }
        bool in_time = false;
        try {
            in_time = opts_.executor->wait(job);
        } catch (...) {  // a runner whose wait throws: treat the primary as late
            in_time = false;
        }
        if (!in_time) in_time = !job.abandon();  // it may have finished at the deadline itself
        if (!in_time) {
            ++st.over_budget;
            fall_back(g, out, sc, fallback_scored, over_budget_);
            finish_timing(out, job, sc);
            return;
        }
        // Done: the runner has let go of the job; it is the pipeline thread's again.
        if (job.model == p.model) {
            ++p.current->usage;
            if (sc.timed()) p.current->record_duration(static_cast<std::uint64_t>(job.duration.count()));
        }
        if (job.answer.ok()) {
            member_scorer::answer(out, job.model, job.answer);
            ++st.primary_in_time;
            ++g.counters(p).answered;
            out.answered_by.assign("primary in time");
            finish_timing(out, job, sc);
            job.release();
            return;
        }
        ++st.primary_failed;
        ++g.counters(p).failed;
        if (job.model == p.model) {
            ++p.current->failures;
            member_scorer::note_error(*p.stats, job.answer.error);
        }
        job.release();
        fall_back(g, out, sc, fallback_scored, "fallback: primary failed");
        finish_timing(out, job, sc);
    }

    /// Primary runs started and not yet released (running, or late and not yet swept).
    std::size_t in_flight() const {
        std::size_t n = 0;
        for (const auto& j : pool_->jobs) n += j.current() == primary_job::state::free ? 0 : 1;
        return n;
    }

private:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    struct job_pool {
        explicit job_pool(std::size_t n) : jobs(n) {}
        std::vector<primary_job> jobs;
    };

    template <class T>
    void fall_back(group<deadline_engine>& g, Scored<T>& out, member_scorer& sc, bool scored,
                   const std::string& why) {
        member& f = g.members[1];
        if (!f.installed()) {  // only when the primary is missing too: cannot happen once a group exists
            out.answered_by.assign("no model");
            member_scorer::no_answer(out, score_status::no_model,
                                     "deadline: no primary and no fallback model");
            return;
        }
        if (!scored && !sc.score(f, out.record)) ++g.counters(f).failed;
        member_scorer::answer(out, f);
        ++g.stats->fallbacks;
        ++g.counters(f).answered;
        out.answered_by.assign(why);
    }
    template <class T>
    void fall_back(group<deadline_engine>& g, Scored<T>& out, member_scorer& sc, bool scored,
                   const char* why) {
        why_.assign(why);
        fall_back(g, out, sc, scored, why_);
    }

    template <class T>
    static void finish_timing(Scored<T>& out, const primary_job& job, member_scorer& sc) {
        if (sc.timed()) out.duration = primary_job::clock::now() - job.started;
    }

    // Frees the late runs that have finished since, counting each for the data type it served.
    void sweep() {
        for (std::size_t i = 0; i < pool_->jobs.size(); ++i) {
            primary_job& j = pool_->jobs[i];
            if (j.current() != primary_job::state::late_done) continue;
            ++owner_[i]->late_discarded;
            j.model.reset();
            j.release();
        }
    }

    std::size_t free_job() const {
        for (std::size_t i = 0; i < pool_->jobs.size(); ++i)
            if (pool_->jobs[i].current() == primary_job::state::free) return i;
        return npos;
    }

    // Copies the primary's feature row into the job, strings included: the pipeline reuses the
    // record while a late run may still read the row.
    static void prepare(primary_job& job, const member& p) {
        std::size_t bytes = 0;
        for (const Value& v : p.row) bytes += v.text().size();
        job.text.clear();
        job.text.reserve(bytes);  // no reallocation below: the views stay valid
        job.row.resize(p.row.size());
        for (std::size_t k = 0; k < p.row.size(); ++k) {
            const Value& v = p.row[k];
            if (v.text().empty()) {
                job.row[k] = v;
                continue;
            }
            const std::size_t at = job.text.size();
            job.text.append(v.text());
            const std::string_view copy(job.text.data() + at, v.text().size());
            job.row[k] = v.is_string() ? Value::string(copy) : Value::number(v.as_number(), copy);
        }
        if (job.model != p.model) job.model = p.model;
    }

    deadline opts_;
    std::vector<std::string> roles_;
    std::shared_ptr<job_pool> pool_;
    std::vector<strategy_stats*> owner_;  // which data type each job served (pipeline thread only)
    std::string over_budget_;
    std::string busy_;
    std::string why_;
};

}  // namespace scorestream::serve
