#include "predicate.hpp"

namespace scorestream::pmml::detail {

int Predicates::compile(Compiler& c, pugi::xml_node n, Scope& scope, int depth) {
    if (depth > c.limits.max_depth)
        c.invalid(n, "predicates nested deeper than " + std::to_string(c.limits.max_depth));
    auto name = Compiler::name_of(n);
    Pred p;
    if (name == "True") {
        p.kind = Kind::always;
    } else if (name == "False") {
        p.kind = Kind::never;
    } else if (name == "SimplePredicate") {
        p.kind = Kind::simple;
        p.slot = c.resolve_slot(scope, c.required(n, "field"), n);
        auto op = c.required(n, "operator");
        if (op == "equal")
            p.op = Op::equal;
        else if (op == "notEqual")
            p.op = Op::not_equal;
        else if (op == "lessThan")
            p.op = Op::less;
        else if (op == "lessOrEqual")
            p.op = Op::less_equal;
        else if (op == "greaterThan")
            p.op = Op::greater;
        else if (op == "greaterOrEqual")
            p.op = Op::greater_equal;
        else if (op == "isMissing")
            p.op = Op::is_missing;
        else if (op == "isNotMissing")
            p.op = Op::is_not_missing;
        else
            c.invalid(n, "unknown operator '" + std::string(op) + "'");
        if (p.op != Op::is_missing && p.op != Op::is_not_missing) {
            p.text = std::string(c.required(n, "value"));
            DataType t = c.slot_type(p.slot);
            if (t != DataType::string) p.has_num = parse_double(p.text, p.num);
            if (t == DataType::boolean && !p.has_num) {
                if (p.text == "true") p.num = 1, p.has_num = true;
                if (p.text == "false") p.num = 0, p.has_num = true;
            }
        }
    } else if (name == "SimpleSetPredicate") {
        p.kind = Kind::set;
        p.slot = c.resolve_slot(scope, c.required(n, "field"), n);
        auto op = c.required(n, "booleanOperator");
        if (op == "isIn")
            p.op = Op::is_in;
        else if (op == "isNotIn")
            p.op = Op::is_not_in;
        else
            c.invalid(n, "unknown booleanOperator '" + std::string(op) + "'");
        auto array = Compiler::child(n, "Array");
        if (!array) c.parse_fail(n, "SimpleSetPredicate without an Array");
        auto items = c.array_items(array);
        DataType t = c.slot_type(p.slot);
        p.first = static_cast<int>(set_text_.size());
        p.count = static_cast<int>(items.size());
        for (auto& it : items) {
            double x = 0;
            bool num = t != DataType::string && parse_double(it, x);
            set_text_.push_back(std::move(it));
            set_num_.push_back(x);
            set_has_num_.push_back(num ? 1 : 0);
        }
    } else if (name == "CompoundPredicate") {
        p.kind = Kind::compound;
        auto op = c.required(n, "booleanOperator");
        if (op == "and")
            p.op = Op::and_;
        else if (op == "or")
            p.op = Op::or_;
        else if (op == "xor")
            p.op = Op::xor_;
        else if (op == "surrogate")
            p.op = Op::surrogate;
        else
            c.invalid(n, "unknown booleanOperator '" + std::string(op) + "'");
        std::vector<int> kids;
        for (auto k : n.children()) {
            if (k.type() != pugi::node_element) continue;
            auto kn = Compiler::name_of(k);
            if (kn == "Extension") continue;
            kids.push_back(compile(c, k, scope, depth + 1));
        }
        if (kids.size() < 2 && p.op != Op::surrogate)
            c.invalid(n, "CompoundPredicate needs at least two predicates");
        p.first = static_cast<int>(kids_.size());
        p.count = static_cast<int>(kids.size());
        kids_.insert(kids_.end(), kids.begin(), kids.end());
    } else {
        c.unsupported(n, "predicate element <" + std::string(name) + "> is not supported");
    }
    // <True/> and <False/> are one entry each however often they are written (every segment of a
    // forest has its <True/>).
    if (p.kind == Kind::always && always_ >= 0) return always_;
    if (p.kind == Kind::never && never_ >= 0) return never_;
    preds_.push_back(std::move(p));
    int index = static_cast<int>(preds_.size()) - 1;
    if (preds_.back().kind == Kind::always) always_ = index;
    if (preds_.back().kind == Kind::never) never_ = index;
    return index;
}

Truth Predicates::set(Ctx& ctx, const Pred& p) const {
    const Value& v = ctx.get(p.slot);
    if (v.is_missing()) return Truth::unknown;
    bool found = false;
    auto b = static_cast<std::size_t>(p.first), e = b + static_cast<std::size_t>(p.count);
    if (v.is_number()) {
        double x = v.as_number();
        for (auto i = b; i < e && !found; ++i)
            found = set_has_num_[i] ? set_num_[i] == x : set_text_[i] == v.text();
    } else {
        auto t = v.text();
        for (auto i = b; i < e && !found; ++i) found = set_text_[i] == t;
    }
    bool in = p.op == Op::is_in;
    return found == in ? Truth::yes : Truth::no;
}

Truth Predicates::compound(Ctx& ctx, const Pred& p) const {
    auto b = static_cast<std::size_t>(p.first), e = b + static_cast<std::size_t>(p.count);
    switch (p.op) {
        case Op::and_: {
            Truth r = Truth::yes;
            for (auto i = b; i < e; ++i) {
                Truth t = eval(ctx, kids_[i]);
                if (t == Truth::no) return Truth::no;
                if (t == Truth::unknown) r = Truth::unknown;
            }
            return r;
        }
        case Op::or_: {
            Truth r = Truth::no;
            for (auto i = b; i < e; ++i) {
                Truth t = eval(ctx, kids_[i]);
                if (t == Truth::yes) return Truth::yes;
                if (t == Truth::unknown) r = Truth::unknown;
            }
            return r;
        }
        case Op::xor_: {
            bool r = false;
            for (auto i = b; i < e; ++i) {
                Truth t = eval(ctx, kids_[i]);
                if (t == Truth::unknown) return Truth::unknown;
                r ^= t == Truth::yes;
            }
            return r ? Truth::yes : Truth::no;
        }
        case Op::surrogate:
            for (auto i = b; i < e; ++i) {
                Truth t = eval(ctx, kids_[i]);
                if (t != Truth::unknown) return t;
            }
            return Truth::unknown;
        default:
            break;
    }
    return Truth::unknown;
}

std::size_t Predicates::memory_bytes() const {
    std::size_t n = preds_.capacity() * sizeof(Pred) + kids_.capacity() * sizeof(int) +
                    set_num_.capacity() * sizeof(double) + set_has_num_.capacity() +
                    set_text_.capacity() * sizeof(std::string);
    for (const auto& p : preds_)
        if (p.text.capacity() > 15) n += p.text.capacity();
    for (const auto& s : set_text_)
        if (s.capacity() > 15) n += s.capacity();
    return n;
}

}  // namespace scorestream::pmml::detail
