#pragma once
// filter(pred): passes an element on only when pred(element) is true; counts the rest. If pred
// throws, the element is reported (error_kind::stage), counted and skipped.

#include <scorestream/stream/pipe.hpp>

#include <functional>
#include <type_traits>
#include <utility>

namespace scorestream {

template <class In, class P, class Next>
class filter_stage {
public:
    filter_stage(P p, Next next, pipeline_context& ctx)
        : p_(std::move(p)), next_(std::move(next)), ctx_(&ctx) {}
    void push(In&& x) {
        bool keep = false;
        try {
            keep = static_cast<bool>(std::invoke(p_, std::as_const(x)));
        } catch (const std::exception& e) {
            ctx_->report_stage_error("filter", e.what());
            return;
        } catch (...) {
            ctx_->report_stage_error("filter", "a non-standard exception");
            return;
        }
        if (keep)
            next_.push(std::move(x));
        else
            ++ctx_->counters.filtered;
    }
    void poll_control() { next_.poll_control(); }
    void finish() { next_.finish(); }

private:
    P p_;
    Next next_;
    pipeline_context* ctx_;
};

template <class P>
struct filter_op : operator_base {
    P p;

    template <class In>
    using output = std::conditional_t<std::is_invocable_r_v<bool, P&, const In&>, In, upstream_error>;

    template <class In, class Next>
    auto make(Next next, pipeline_context& ctx) && {
        if constexpr (is_upstream_error_v<In>) {
            return invalid_stage{};
        } else if constexpr (!std::is_invocable_r_v<bool, P&, const In&>) {
            static_assert(std::is_invocable_r_v<bool, P&, const In&>,
                          "scorestream::filter(pred): pred must be callable with `const In&` and return "
                          "something convertible to bool");
            return invalid_stage{};
        } else {
            return filter_stage<In, P, Next>(std::move(p), std::move(next), ctx);
        }
    }
};

template <class P>
filter_op<std::decay_t<P>> filter(P&& p) {
    return {{}, std::forward<P>(p)};
}

}  // namespace scorestream
