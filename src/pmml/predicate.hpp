#pragma once
// Predicates (SimplePredicate, SimpleSetPredicate, CompoundPredicate, True, False) compiled into a
// flat array and evaluated with PMML's three-valued logic. Shared by TreeModel and Segmentation.

#include "compiler.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace scorestream::pmml::detail {

enum class Truth : std::int8_t { unknown = -1, no = 0, yes = 1 };

class Predicates {
public:
    enum class Kind : std::uint8_t { always, never, simple, set, compound };
    enum class Op : std::uint8_t {
        equal,
        not_equal,
        less,
        less_equal,
        greater,
        greater_equal,
        is_missing,
        is_not_missing,
        is_in,
        is_not_in,
        and_,
        or_,
        xor_,
        surrogate
    };
    struct Pred {
        Kind kind = Kind::always;
        Op op = Op::equal;
        bool has_num = false;
        int slot = -1;
        double num = 0.0;
        std::string text;
        int first = 0, count = 0;  ///< compound: children in kids_; set: items in set_*_
    };

    /// Compiles a predicate element; returns its index.
    int compile(Compiler& c, pugi::xml_node n, Scope& scope, int depth);

    Truth eval(Ctx& ctx, int index) const {
        const Pred& p = preds_[static_cast<std::size_t>(index)];
        switch (p.kind) {
            case Kind::always:
                return Truth::yes;
            case Kind::never:
                return Truth::no;
            case Kind::simple:
                return simple(ctx, p);
            case Kind::set:
                return set(ctx, p);
            case Kind::compound:
                return compound(ctx, p);
        }
        return Truth::unknown;
    }

    bool always_true(int index) const { return preds_[static_cast<std::size_t>(index)].kind == Kind::always; }
    const Pred& at(int index) const { return preds_[static_cast<std::size_t>(index)]; }
    std::size_t size() const { return preds_.size(); }
    std::size_t memory_bytes() const;

    static Truth simple(Ctx& ctx, const Pred& p) {
        const Value& v = ctx.get(p.slot);
        if (p.op == Op::is_missing) return v.is_missing() ? Truth::yes : Truth::no;
        if (p.op == Op::is_not_missing) return v.is_missing() ? Truth::no : Truth::yes;
        if (v.is_missing()) return Truth::unknown;
        int cmp;
        if (v.is_number() && p.has_num) {
            double x = v.as_number();
            cmp = x < p.num ? -1 : (x > p.num ? 1 : 0);
            if (x != x) return Truth::unknown;
        } else {
            auto t = v.text();
            int c = t.compare(p.text);
            cmp = c < 0 ? -1 : (c > 0 ? 1 : 0);
        }
        bool r = false;
        switch (p.op) {
            case Op::equal:
                r = cmp == 0;
                break;
            case Op::not_equal:
                r = cmp != 0;
                break;
            case Op::less:
                r = cmp < 0;
                break;
            case Op::less_equal:
                r = cmp <= 0;
                break;
            case Op::greater:
                r = cmp > 0;
                break;
            case Op::greater_equal:
                r = cmp >= 0;
                break;
            default:
                break;
        }
        return r ? Truth::yes : Truth::no;
    }

private:
    Truth set(Ctx& ctx, const Pred& p) const;
    Truth compound(Ctx& ctx, const Pred& p) const;

    std::vector<Pred> preds_;
    std::vector<int> kids_;
    std::vector<std::string> set_text_;
    std::vector<double> set_num_;
    std::vector<std::uint8_t> set_has_num_;
    int always_ = -1, never_ = -1;  ///< the one entry of <True/> and of <False/>, once compiled
};

}  // namespace scorestream::pmml::detail
