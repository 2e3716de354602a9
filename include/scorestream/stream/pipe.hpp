#pragma once
// Pipe composition: `source | op | op | sink(...)`. Operators are small value objects describing a
// stage; when a sink closes the chain, each operator builds its stage around the next one, so the
// whole chain is one object whose calls the compiler can inline end to end.
//
// operator| is defined in namespace scorestream and takes part only when its right side is one of
// scorestream's operators, so it never captures other code's `|`.
//
// An operator type Op provides
//     template <class In> using output = ...;                      // element type it emits
//     template <class In, class Next> auto make(Next next, pipeline_context& ctx) &&;
// and a stage provides push(In&&), poll_control() and finish().

#include <scorestream/stream/context.hpp>
#include <scorestream/stream/source.hpp>

#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

namespace scorestream {

/// Base of every intermediate operator (map, filter, join, score, ...).
struct operator_base {};
/// Base of operators that close a chain (sink).
struct terminal_base {};

/// The element type after an operator that did not fit its input. Only the operator at fault
/// reports an error; the stages after it accept this type silently, so the first compiler error
/// names the real mistake.
struct upstream_error {};
template <class T>
inline constexpr bool is_upstream_error_v = std::is_same_v<std::decay_t<T>, upstream_error>;

/// A stage that does nothing, built in place of one whose operator was misused (after its
/// static_assert has fired), so no further errors cascade from it.
struct invalid_stage {
    template <class X>
    void push(X&&) {}
    void poll_control() {}
    void finish() {}
};

/// Base of operators that build their stage in make_valid<In>(next, ctx): supplies make(), which
/// stays silent after an upstream error (see upstream_error).
template <class Derived>
struct guarded_operator : operator_base {
    template <class In, class Next>
    auto make(Next next, pipeline_context& ctx) && {
        if constexpr (is_upstream_error_v<In>)
            return invalid_stage{};
        else
            return static_cast<Derived&&>(*this).template make_valid<In>(std::move(next), ctx);
    }
};

template <class T>
inline constexpr bool is_operator_v = std::is_base_of_v<operator_base, std::decay_t<T>>;
template <class T>
inline constexpr bool is_terminal_v = std::is_base_of_v<terminal_base, std::decay_t<T>>;

template <class Source, class Chain>
class pipeline;

/// A source with operators attached but no sink yet.
template <class Source, class... Ops>
class pipe {
public:
    using source_type = Source;
    using value_type = typename Source::value_type;

    pipe(Source src, std::tuple<Ops...> ops) : src_(std::move(src)), ops_(std::move(ops)) {}

    template <class Op>
    pipe<Source, Ops..., std::decay_t<Op>> then(Op&& op) && {
        return {std::move(src_), std::tuple_cat(std::move(ops_), std::make_tuple(std::forward<Op>(op)))};
    }

    template <class Sink>
    auto close(Sink&& sink) &&;

private:
    Source src_;
    std::tuple<Ops...> ops_;
};

namespace detail {

// Builds the chain from the sink backwards: stage_k = op_k.make<in_k>(stage_{k+1}).
template <class In, class Sink>
auto build_chain(pipeline_context& ctx, Sink&& sink) {
    return std::forward<Sink>(sink).template make<In>(ctx);
}
template <class In, class Op, class... Rest, class Sink>
auto build_chain(pipeline_context& ctx, Sink&& sink, Op&& op, Rest&&... rest) {
    using Out = typename std::decay_t<Op>::template output<In>;
    auto next = build_chain<Out>(ctx, std::forward<Sink>(sink), std::forward<Rest>(rest)...);
    return std::forward<Op>(op).template make<In>(std::move(next), ctx);
}

}  // namespace detail

template <class Source, class... Ops>
template <class Sink>
auto pipe<Source, Ops...>::close(Sink&& sink) && {
    auto ctx = std::make_unique<pipeline_context>();
    auto chain = std::apply(
        [&](auto&&... ops) {
            return detail::build_chain<value_type>(*ctx, std::forward<Sink>(sink), std::move(ops)...);
        },
        std::move(ops_));
    return pipeline<Source, decltype(chain)>(std::move(src_), std::move(chain), std::move(ctx));
}

/// source | operator
template <class Source, class Op, std::enable_if_t<is_source_v<Source> && is_operator_v<Op>, int> = 0>
auto operator|(Source&& src, Op&& op) {
    return pipe<std::decay_t<Source>>(std::forward<Source>(src), std::tuple<>{}).then(std::forward<Op>(op));
}

/// pipe | operator
template <class Source, class... Ops, class Op, std::enable_if_t<is_operator_v<Op>, int> = 0>
auto operator|(pipe<Source, Ops...>&& p, Op&& op) {
    return std::move(p).then(std::forward<Op>(op));
}

/// pipe | sink  → a runnable pipeline
template <class Source, class... Ops, class Sink, std::enable_if_t<is_terminal_v<Sink>, int> = 0>
auto operator|(pipe<Source, Ops...>&& p, Sink&& sink) {
    return std::move(p).close(std::forward<Sink>(sink));
}

/// source | sink  → a runnable pipeline with no operators
template <class Source, class Sink, std::enable_if_t<is_source_v<Source> && is_terminal_v<Sink>, int> = 0>
auto operator|(Source&& src, Sink&& sink) {
    return pipe<std::decay_t<Source>>(std::forward<Source>(src), std::tuple<>{}) | std::forward<Sink>(sink);
}

}  // namespace scorestream
