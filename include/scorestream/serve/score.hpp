#pragma once
// serve::score(): serves each record joined with its group through the group's strategy and emits
// Scored<T>. `model` names the member model whose answer is the result, `answered_by` says which
// member(s) answered and why ("primary in time", "vote 2 of 3: a, c", "arm b", ...). It never
// throws: members that throw or fail are counted and the strategy decides what to answer.
//
//     source | join(models, registry, serve::shadow{}) | serve::score() | sink(...)
//
// Thread-safety: the stage belongs to one pipeline thread.

#include <scorestream/serve/group.hpp>
#include <scorestream/serve/join.hpp>
#include <scorestream/serve/scorer.hpp>
#include <scorestream/stream/join.hpp>
#include <scorestream/stream/score.hpp>
#include <scorestream/stream/scored.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace scorestream::serve {

namespace detail {
struct not_a_serving_join {};
template <class J>
struct joined_group : std::false_type {
    using record = not_a_serving_join;
    using engine = void;
};
template <class T, class E>
struct joined_group<Joined<T, group<E>>> : std::true_type {
    using record = T;
    using engine = E;
};
}  // namespace detail

template <class T, class Engine, class Next>
class serve_stage {
public:
    serve_stage(score_options opts, Next next, pipeline_context& ctx)
        : scorer_(opts, ctx), next_(std::move(next)), ctx_(&ctx) {}

    void push(Joined<T, group<Engine>>&& j) {
        out_.record = std::move(j.record);
        out_.answered_by.clear();
        out_.duration = std::chrono::nanoseconds(0);
        if (j.state == nullptr) {
            const std::string_view dt = j.key;
            reason_.assign("no model for data type '").append(dt).append("'");
            if (j.reason == unjoined_reason::hold_overflow || j.reason == unjoined_reason::ended_while_held)
                reason_.append(" (").append(to_string(j.reason)).append(")");
            member_scorer::no_answer(out_, score_status::no_model, reason_);
            ++ctx_->stats.of(dt).unscored;
            next_.push(std::move(out_));
            return;
        }
        group<Engine>& g = *j.state;
        ++g.stats->records;
        scorer_.begin_record();
        g.engine->serve(g, out_, scorer_);
        if (!out_.ok()) ++g.stats->unanswered;
        next_.push(std::move(out_));
    }

    void poll_control() { next_.poll_control(); }
    void finish() { next_.finish(); }

private:
    member_scorer scorer_;
    Next next_;
    pipeline_context* ctx_;
    Scored<T> out_;
    std::string reason_;
};

struct serve_score_op : operator_base {
    score_options opts;

    template <class In>
    using output = Scored<typename detail::joined_group<In>::record>;

    template <class In, class Next>
    auto make(Next next, pipeline_context& ctx) && {
        static_assert(detail::joined_group<In>::value,
                      "scorestream::serve::score(): must follow a serving join: "
                      "source | join(models, registry, serve::consensus{...}) | serve::score()");
        using T = typename detail::joined_group<In>::record;
        using E = typename detail::joined_group<In>::engine;
        return serve_stage<T, E, Next>(opts, std::move(next), ctx);
    }
};

/// Serves joined records with their group's strategy; score_options::time_every applies to
/// every member scored on the pipeline thread.
inline serve_score_op score(score_options opts = {}) { return {{}, opts}; }

}  // namespace scorestream::serve
