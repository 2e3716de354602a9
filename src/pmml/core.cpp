#include "core.hpp"

#include "decimal.hpp"
#include "model_base.hpp"

#include <algorithm>
#include <charconv>

namespace scorestream::pmml::detail {

const char* to_string(DataType t) noexcept {
    switch (t) {
        case DataType::string:
            return "string";
        case DataType::integer:
            return "integer";
        case DataType::float_:
            return "float";
        case DataType::double_:
            return "double";
        case DataType::boolean:
            return "boolean";
        case DataType::date:
            return "date";
        case DataType::time:
            return "time";
        case DataType::datetime:
            return "dateTime";
        case DataType::unknown:
            break;
    }
    return "unknown";
}

const char* to_string(OpType t) noexcept {
    switch (t) {
        case OpType::categorical:
            return "categorical";
        case OpType::ordinal:
            return "ordinal";
        case OpType::continuous:
            return "continuous";
        case OpType::unknown:
            break;
    }
    return "unknown";
}

const char* to_string(MiningFunction f) noexcept {
    switch (f) {
        case MiningFunction::classification:
            return "classification";
        case MiningFunction::association_rules:
            return "associationRules";
        case MiningFunction::clustering:
            return "clustering";
        case MiningFunction::mixed:
            return "mixed";
        case MiningFunction::regression:
            break;
    }
    return "regression";
}

void fail(std::string message) { throw EvalFailure{std::move(message), false}; }
void fail_field(std::string message) { throw EvalFailure{std::move(message), true}; }

bool parse_double(std::string_view s, double& out) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
        s.remove_suffix(1);
    if (s.empty()) return false;
    if (s.front() == '+') s.remove_prefix(1);
    if (s.empty() || s.front() == '+') return false;
    if (parse_simple_decimal(s.data(), s.data() + s.size(), out)) return true;
    // Spellings std::from_chars does not read but PMML producers write.
    if (s == "INF" || s == "Infinity" || s == "inf") {
        out = HUGE_VAL;
        return true;
    }
    if (s == "-INF" || s == "-Infinity" || s == "-inf") {
        out = -HUGE_VAL;
        return true;
    }
    if (s == "NaN") {
        out = nan_v;
        return true;
    }
    double x = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), x);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
    out = x;
    return true;
}

std::size_t format_double(double x, char* buf, std::size_t size) noexcept {
    if (std::isnan(x)) {
        std::string_view t = "NaN";
        auto n = std::min(size, t.size());
        std::copy_n(t.data(), n, buf);
        return n;
    }
    if (std::isinf(x)) {
        std::string_view t = x > 0 ? "Infinity" : "-Infinity";
        auto n = std::min(size, t.size());
        std::copy_n(t.data(), n, buf);
        return n;
    }
    auto r = std::to_chars(buf, buf + size, x);
    if (r.ec != std::errc()) return 0;
    return static_cast<std::size_t>(r.ptr - buf);
}

const FieldDomain::Lists FieldDomain::no_lists{};

bool FieldDomain::is_valid(const Value& v) const noexcept {
    const Lists& ls = l();
    if (v.is_missing()) return true;
    if (v.is_number()) {
        double x = v.as_number();
        if (markers)
            for (double b : markers->invalid_num)
                if (b == x) return false;
        bool listed = false;
        for (double a : ls.valid_num())
            if (a == x) listed = true;
        if (optype != OpType::continuous && !ls.valid_num().empty()) return listed;
        if (const ArrayView<Interval> intervals = ls.intervals(); !intervals.empty()) {
            if (listed) return true;
            for (const auto& iv : intervals) {
                bool lo_ok = iv.lo_closed ? x >= iv.lo : x > iv.lo;
                bool hi_ok = iv.hi_closed ? x <= iv.hi : x < iv.hi;
                if (lo_ok && hi_ok) return true;
            }
            return false;
        }
        return true;
    }
    std::string_view t = v.text();
    if (markers)
        for (const auto& b : markers->invalid_text)
            if (b == t) return false;
    if (!ls.valid_text.empty() && optype != OpType::continuous) return index_of(t) >= 0;
    return true;
}

bool FieldDomain::is_missing_marker(const Value& v) const noexcept {
    if (!markers) return false;
    if (v.is_number()) {
        for (double m : markers->missing_num)
            if (m == v.as_number()) return true;
        return false;
    }
    if (v.is_string()) {
        for (const auto& m : markers->missing_text)
            if (m == v.text()) return true;
    }
    return false;
}

bool convert(Ctx& ctx, Value& v, DataType type, int buf) {
    if (v.is_missing()) return true;
    if (is_numeric(type)) {
        if (v.is_number()) {
            if (type == DataType::integer && v.as_number() != std::floor(v.as_number())) {
                return std::isinf(v.as_number());
            }
            return true;
        }
        double x;
        std::string_view t = v.text();
        if (type == DataType::boolean) {
            if (t == "true") {
                v = Value::number(1.0, t);
                return true;
            }
            if (t == "false") {
                v = Value::number(0.0, t);
                return true;
            }
        }
        if (!parse_double(t, x)) return false;
        if (type == DataType::integer && x != std::floor(x)) return false;
        v = Value::number(x, t);
        return true;
    }
    if (type == DataType::string && v.is_number()) {
        if (!v.text().empty()) {
            v = Value::string(v.text());
            return true;
        }
        char tmp[40];
        const std::string_view text = number_text(v, tmp);
        if (buf < 0) return false;
        v = Value::string(ctx.store(buf, text));
        return true;
    }
    return true;
}

void Program::compute_treated(Ctx& ctx, const SlotDef& def, Value& v, int slot) const {
    bool invalid = false;
    if (def.kind == SlotDef::Kind::treated) invalid = ctx.is_invalid(def.source);
    const Treatment* t = def.treatment();
    const FieldDomain* dom = t ? t->domain : nullptr;
    if (!v.is_missing()) {
        Value original = v;
        if (!convert(ctx, v, def.type, def.buffer)) {
            invalid = true;
            v = original;
        } else if (dom && dom->is_missing_marker(v)) {
            v = Value::missing();
        } else if (dom && !dom->is_valid(v)) {
            invalid = true;
        }
    }
    if (invalid) {
        InvalidTreatment how = t ? t->invalid : InvalidTreatment::as_is;
        switch (how) {
            case InvalidTreatment::return_invalid:
                fail_field("invalid value '" + scorestream::to_string(v) + "' for field '" +
                           std::string(layout.name(slot)) + "'");
            case InvalidTreatment::as_is:
                break;
            case InvalidTreatment::as_missing:
                v = Value::missing();
                invalid = false;
                break;
            case InvalidTreatment::as_value:
                v = t->invalid_replacement()->value;
                invalid = false;
                break;
        }
    }
    if (t && !invalid && v.is_number() && t->outliers != OutlierTreatment::as_is) {
        double x = v.as_number();
        const double low = t->low(), high = t->high();
        if (x < low || x > high) {
            if (t->outliers == OutlierTreatment::as_missing)
                v = Value::missing();
            else
                v = Value::number(x < low ? low : high);
        }
    }
    if (v.is_missing() && t) {
        if (t->missing_is_invalid)
            fail_field("missing value for field '" + std::string(layout.name(slot)) + "'");
        if (const Treatment::Replacement* r = t->replacement()) v = r->value;
    }
    ctx.s->invalid[static_cast<std::size_t>(slot)] = invalid ? 1 : 0;
}

void Program::compute(Ctx& ctx, int slot) const {
    auto i = static_cast<std::size_t>(slot);
    const SlotDef& def = layout.slots[i];
    Value v;
    switch (def.kind) {
        case SlotDef::Kind::input:
            if (static_cast<std::size_t>(def.source) < ctx.row->size())
                v = (*ctx.row)[static_cast<std::size_t>(def.source)];
            if (def.plain && def.type != DataType::string && v.is_number() &&
                v.as_number() == v.as_number() &&
                (def.type != DataType::integer || v.as_number() == std::floor(v.as_number())) &&
                (!def.treat->domain || def.treat->domain->in_intervals(v.as_number()))) {
                ctx.s->invalid[i] = 0;
                break;
            }
            compute_treated(ctx, def, v, slot);
            break;
        case SlotDef::Kind::treated:
            v = ctx.get(def.source);
            compute_treated(ctx, def, v, slot);
            break;
        case SlotDef::Kind::derived: {
            // Mark first so that a (rejected at load) cycle could never recurse forever.
            ctx.s->stamps[i] = ctx.s->epoch;
            ctx.s->values[i] = Value::missing();
            if (++ctx.derived_depth > Ctx::max_derived_depth)
                fail_field("derived field '" + std::string(layout.name(slot)) +
                           "' needs derived fields more than " + std::to_string(Ctx::max_derived_depth) +
                           " deep");
            v = def.expr->eval(ctx);
            --ctx.derived_depth;  // (a failure ends the record, and its Ctx with it)
            if (!convert(ctx, v, def.type, def.buffer)) v = Value::missing();
            if (v.is_string() && def.buffer >= 0) v = Value::string(ctx.store(def.buffer, v.text()));
            ctx.s->invalid[i] = 0;
            break;
        }
        case SlotDef::Kind::output:
            ctx.s->stamps[i] = ctx.s->epoch;
            ctx.s->values[i] = Value::missing();
            v = def.output->eval(ctx);
            if (def.type != DataType::unknown) {
                const Value before = v;
                // A value the output's dataType cannot hold (12.5 as an integer, "abc" as a double)
                // fails the record rather than leaving the cell empty without a word.
                if (!convert(ctx, v, def.type, def.buffer))
                    fail_field("output field '" + std::string(layout.name(slot)) + "': '" +
                               scorestream::to_string(before) + "' is not a" +
                               (def.type == DataType::integer ? "n " : " ") + to_string(def.type));
            }
            ctx.s->invalid[i] = 0;
            break;
    }
    ctx.s->values[i] = v;
    ctx.s->stamps[i] = ctx.s->epoch;
}

const Symbols::Home Symbols::no_home[1] = {Home{1, 0, 0, slow, -1}};

namespace {

/// A string input as load_fast's string loop reads it, `listed` of its symbols being the DataField's
/// valid values (0: it lists none); marks the entries of its perfect table (the symbols are this
/// input's own).
Program::StringInput string_input(std::uint32_t slot, std::uint32_t source, std::uint32_t listed,
                                  Symbols& sym) {
    std::uint64_t limit = listed ? std::uint64_t{listed} : std::uint64_t{1} << 32;
    Program::StringInput in{slot,      Program::offset_of(source), Symbols::no_home, 0, 63, &sym, limit,
                            sym.divert};
    if (sym.perfect) {
        sym.set_quick(limit, slot);
        in.homes = sym.homes.data();
        in.seed = sym.seed;
        in.shift = sym.shift;
    }
    return in;
}

}  // namespace

void Program::build_plan() {
    plan.clear();
    number_inputs.clear();
    string_inputs.clear();
    bool bounded = false;
    for (int slot : input_slots) {
        auto i = static_cast<std::size_t>(slot);
        const SlotDef& def = layout.slots[i];
        InputPlan p;
        p.slot = static_cast<std::uint32_t>(slot);
        p.source = static_cast<std::uint32_t>(def.source);
        const FieldDomain* dom = def.treatment() ? def.treatment()->domain : nullptr;
        if (def.plain && def.type != DataType::string && (!dom || dom->intervals().size() <= 1)) {
            p.kind = def.type == DataType::integer ? InputPlan::integer : InputPlan::number;
            if (dom && dom->intervals().size() == 1) {
                // x > lo is x >= the next double above lo (and x < hi is x <= the one below hi) for
                // every number; an open infinite bound on the far side admits nothing: NaN, so that
                // every value takes the general path.
                const auto& iv = dom->intervals()[0];
                p.lo = iv.lo;
                p.hi = iv.hi;
                if (!iv.lo_closed) p.lo = iv.lo == HUGE_VAL ? nan_v : std::nextafter(iv.lo, HUGE_VAL);
                if (!iv.hi_closed) p.hi = iv.hi == -HUGE_VAL ? nan_v : std::nextafter(iv.hi, -HUGE_VAL);
            }
        } else if (def.plain && def.type == DataType::string && i < symbols.size() && symbols[i]) {
            // The symbols hold each listed value once, first.
            const auto listed = dom ? static_cast<std::uint32_t>(dom->distinct_texts()) : 0;
            string_inputs.push_back(string_input(p.slot, p.source, listed, *symbols[i]));
            continue;
        }
        if (p.kind == InputPlan::number) {
            number_inputs.push_back(NumberInput{p.slot, offset_of(p.source), p.lo, p.hi});
            // An empty interval has a NaN bound, which is not -inf or +inf either.
            bounded = bounded || !(p.lo == -HUGE_VAL && p.hi == HUGE_VAL);
            continue;
        }
        plan.push_back(p);
    }
    plan.shrink_to_fit();
    number_inputs.shrink_to_fit();
    string_inputs.shrink_to_fit();
    fast = plan.empty() && !(number_inputs.empty() && string_inputs.empty());
    number_case = static_cast<unsigned>(std::min<std::size_t>(number_inputs.size(), 9)) + (bounded ? 0 : 10);
}

// Declared in core.hpp. A text read_decimal does not read (blanks, a '+' sign, an exponent beyond
// its range, inf, ...) goes to the full loop, where parse_double decides.
bool text_numbers(const std::vector<Program::NumberInput>& inputs, const Value* row, double* xs) noexcept {
    bool ok = true;
    for (const Program::NumberInput& p : inputs) {
        const Value& v = Program::value(row, p.at);
        double x;
        if (!v.is_string() || !read_decimal(v.text(), x)) return false;
        ok &= (x >= p.lo) & (x <= p.hi);
        xs[p.slot] = x;
    }
    return ok;
}

namespace {

/// The text a string input looks up for a row value: a string's own, or a number's as convert()
/// gives it (number_text); false for a missing value.
inline bool string_text(const Value& v, char (&tmp)[40], std::string_view& text) noexcept {
    if (v.is_string())
        text = v.text();
    else if (v.is_number())
        text = number_text(v, tmp);
    else
        return false;
    return true;
}

/// The rest of strings() from input p on, each by the whole lookup: out of line, so that the
/// usual loop calls nothing and keeps its values in registers without saving any.
[[gnu::noinline]] bool strings_rest(const Program::StringInput* p, const Program::StringInput* end,
                                    const Value* row, std::int32_t* cats, std::uint64_t outside,
                                    std::uint64_t& outside_bits) noexcept {
    bool ok = true;
    for (; p != end; ++p) {
        const Value& v = Program::value(row, p->at);
        if (!v.is_string()) return false;
        // One lookup gives both validity (listed values come first among the symbols) and the
        // category index the models compare.
        int k = p->symbols->index_of(v.text());
        ok &= static_cast<std::uint32_t>(k) < p->limit;
        cats[p->slot] = k;
        outside |= static_cast<std::uint64_t>(Symbols::diverts(p->divert, k)) << (p->slot & 63);
    }
    outside_bits = outside;
    return ok;
}

/// The usual case for one input: a text that passes as it is, found in the perfect table, whose
/// entry holds what to store for it (Symbols::set_quick); false otherwise (the caller then sends
/// this input and the rest to strings_rest). Texts of 4 to 16 bytes, the usual ones, take one path
/// whatever their length; shorter ones read their bytes one by one and longer ones always miss.
/// A value that is not a string misses too.
[[gnu::always_inline]] inline bool quick_string(const Program::StringInput& p, const Value* row,
                                                std::int32_t* cats, std::uint64_t& outside) noexcept {
    const Value& v = Program::value(row, p.at);
    if (!v.is_string()) return false;
    const std::string_view text = v.text();
    const std::size_t n = text.size();
    Symbols::Ends w;
    if (__builtin_expect(n - 4 <= 12, 1))  // 4 to 16 bytes (n below 4 wraps around)
        w = Symbols::quads(text.data(), n);
    else if (n < 4)
        w = Symbols::bytes3(text.data(), n);
    else
        return false;
    const Symbols::Home& e = p.homes[(Symbols::key(w, n) * p.seed) >> p.shift];
    // One test for all three; a size with Symbols::slow set never equals n (n <= 16 here).
    if (__builtin_expect(((e.first ^ w.first) | (e.last ^ w.last) | (e.size ^ n)) != 0, 0)) return false;
    cats[p.slot] = e.index;
    outside |= e.tail;
    return true;
}

/// strings() for exactly N inputs, unrolled: no loop to leave at a count the branch predictor has
/// to learn, and each input's fields at a fixed offset.
template <std::size_t N>
bool strings_of(const Program::StringInput* in, const Value* row, std::int32_t* cats,
                std::uint64_t& outside_bits) noexcept {
    std::uint64_t outside = 0;
    std::size_t i = 0;
#pragma GCC unroll 16
    for (; i < N; ++i)
        if (!quick_string(in[i], row, cats, outside)) break;
    if (__builtin_expect(i != N, 0)) {
        // A value that is not a string (a number where a string is expected, a missing value)
        // sends the record to the full load without the whole lookup of the inputs before it.
        if (!Program::value(row, in[i].at).is_string()) return false;
        return strings_rest(in + i, in + N, row, cats, outside, outside_bits);
    }
    outside_bits = outside;
    return true;
}

}  // namespace

bool strings(const std::vector<Program::StringInput>& inputs, const Value* row, std::int32_t* cats,
             std::uint64_t& outside_bits) noexcept {
    const Program::StringInput* const in = inputs.data();
    switch (inputs.size()) {  // the same case for every record of a model: a well-predicted jump
        case 1:
            return strings_of<1>(in, row, cats, outside_bits);
        case 2:
            return strings_of<2>(in, row, cats, outside_bits);
        case 3:
            return strings_of<3>(in, row, cats, outside_bits);
        case 4:
            return strings_of<4>(in, row, cats, outside_bits);
        case 5:
            return strings_of<5>(in, row, cats, outside_bits);
        case 6:
            return strings_of<6>(in, row, cats, outside_bits);
        case 7:
            return strings_of<7>(in, row, cats, outside_bits);
        case 8:
            return strings_of<8>(in, row, cats, outside_bits);
        default:
            break;
    }
    std::uint64_t outside = 0;
    const Program::StringInput* const end = in + inputs.size();
    for (const Program::StringInput* p = in; p != end; ++p)
        if (!quick_string(*p, row, cats, outside))
            return strings_rest(p, end, row, cats, outside, outside_bits);
    outside_bits = outside;
    return true;
}

void Program::load_all_inputs(Ctx& ctx) const {
    EvalScratch& s = *ctx.s;
    const Value* row = ctx.row->begin();
    double* xs = s.xs.data();
    std::int32_t* cats = s.cats.data();
    std::uint64_t missing = 0, outside = 0;
    // Each input by its own plan when its value passes as it is; else through its slot (general()).
    auto general = [&](std::size_t i) {
        std::uint64_t bit = std::uint64_t{1} << (i & 63);
        const Value& t = ctx.get(static_cast<int>(i));
        if (direct[i]) {
            xs[i] = t.is_number() ? t.as_number() : nan_v;
            if (!(xs[i] == xs[i])) missing |= bit;
        }
        if (const Symbols* sym = i < symbols.size() ? symbols[i].get() : nullptr) {
            cats[i] = t.is_missing() ? -2 : (t.is_string() ? sym->index_of(t.text()) : -1);
            if (cats[i] == -2)
                missing |= bit;
            else if (Symbols::diverts(sym->divert, cats[i]))
                outside |= bit;
        }
    };
    for (const NumberInput& p : number_inputs) {
        const Value& v = value(row, p.at);
        double x = v.as_number();
        if ((v.is_number() || (v.is_string() && read_decimal(v.text(), x))) && x >= p.lo && x <= p.hi)
            xs[p.slot] = x;  // (false for NaN)
        else
            general(p.slot);
    }
    char tmp[40];
    for (const StringInput& p : string_inputs) {
        // One lookup gives both validity (listed values come first among the symbols) and the
        // category index the models compare (a number's by its text, as convert() gives it).
        if (std::string_view text; string_text(value(row, p.at), tmp, text)) {
            const int k = p.symbols->index_of(text);
            if (static_cast<std::uint32_t>(k) < p.limit) {  // -1 passes only when none are listed
                cats[p.slot] = k;
                if (Symbols::diverts(p.divert, k)) outside |= std::uint64_t{1} << (p.slot & 63);
                continue;
            }
        }
        general(p.slot);
    }
    for (const InputPlan& p : plan) {
        const Value& v = row[p.source];
        if (p.kind == InputPlan::integer) {
            double x = v.as_number();
            if ((v.is_number() || (v.is_string() && read_decimal(v.text(), x))) && x >= p.lo && x <= p.hi &&
                x == std::floor(x)) {
                xs[p.slot] = x;
                continue;
            }
        }
        general(p.slot);
    }
    s.missing_bits = missing;
    s.outside_bits = outside;
}

std::unique_ptr<EvalScratch> Program::make_scratch() const {
    auto s = std::make_unique<EvalScratch>();
    auto n = layout.slots.size();
    s->values.assign(n, Value::missing());
    s->stamps.assign(n, 0);
    s->invalid.assign(n, 0);
    s->buffers.resize(static_cast<std::size_t>(layout.buffers));
    for (auto& b : s->buffers) b.reserve(64);
    s->results.resize(static_cast<std::size_t>(layout.results));
    for (auto [r, cats] : layout.result_sizes) {
        auto& res = s->results[static_cast<std::size_t>(r)];
        res.probs.assign(static_cast<std::size_t>(cats), 0.0);
        res.confidences.assign(static_cast<std::size_t>(cats), 0.0);
    }
    s->work.assign(static_cast<std::size_t>(layout.work), 0.0);
    s->frame.reserve(64);
    s->xs.assign(n, nan_v);
    s->cats.assign(n, -2);
    return s;
}

// ---- CompiledModel ------------------------------------------------------------------------------

namespace {

/// Zeroes n doubles; a few classes (the usual case) by plain stores, which costs less than the
/// call to memset a loop or std::fill becomes.
inline void zero_row(double* p, std::size_t n) noexcept {
    switch (n) {
        case 4:
            p[3] = 0.0;
            [[fallthrough]];
        case 3:
            p[2] = 0.0;
            [[fallthrough]];
        case 2:
            p[1] = 0.0;
            [[fallthrough]];
        case 1:
            p[0] = 0.0;
            [[fallthrough]];
        case 0:
            return;
        default:
            std::fill(p, p + n, 0.0);
    }
}

/// The empty result evaluate() starts from.
inline void reset_result(ModelResult& r) noexcept {
    r.value = Value::missing();
    r.category = -1;
    r.has_probs = false;
    r.has_confidences = false;
    r.entity_id = {};
    r.confidence = nan_v;
    zero_row(r.probs.data(), r.probs.size());
    zero_row(r.confidences.data(), r.confidences.size());
}

}  // namespace

const ModelResult& CompiledModel::run(Ctx& ctx) const {
    ModelResult& r = ctx.s->results[static_cast<std::size_t>(result)];
    if (r.epoch == ctx.s->epoch) return r;
    reset_result(r);
    evaluate(ctx, r);
    if (post) apply_targets(r);
    r.epoch = ctx.s->epoch;
    return r;
}

bool CompiledModel::result_at(int k, ModelResult& r) const {
    reset_result(r);
    if (direct_nodes() == 0 || (k != no_node && !fill_node(k, r))) return false;
    if (post) apply_targets(r);
    return true;
}

void CompiledModel::apply_targets(ModelResult& r) const {
    const TargetPost& post = *this->post;
    if (function == MiningFunction::regression) {
        if (r.value.is_missing()) {
            if (post.has_default) r.value = Value::number(post.default_value);
            return;
        }
        if (!r.value.is_number()) return;
        double x = r.value.as_number();
        if (x < post.min) x = post.min;
        if (x > post.max) x = post.max;
        if (float_math) {
            float y = static_cast<float>(x) * static_cast<float>(post.factor);
            x = static_cast<double>(y + static_cast<float>(post.constant));
        } else {
            x = x * post.factor + post.constant;
        }
        switch (post.cast) {
            case TargetPost::Cast::none:
                break;
            case TargetPost::Cast::round:
                x = round_half_up(x);
                break;
            case TargetPost::Cast::ceiling:
                x = std::ceil(x);
                break;
            case TargetPost::Cast::floor:
                x = std::floor(x);
                break;
        }
        r.value = Value::number(x);
    } else if (function == MiningFunction::classification) {
        if (r.value.is_missing() && !post.priors.empty()) {
            std::copy(post.priors.begin(), post.priors.end(), r.probs.begin());
            r.has_probs = true;
            pick_best(r);
        }
    }
}

int CompiledModel::find_category(std::string_view text) const {
    for (std::size_t i = 0; i < categories.size(); ++i)
        if (categories[i].text == text) return static_cast<int>(i);
    if (is_numeric(target_type)) {
        double x;
        if (parse_double(text, x))
            for (std::size_t i = 0; i < categories.size(); ++i)
                if (categories[i].numeric && categories[i].number == x) return static_cast<int>(i);
    }
    return -1;
}

int CompiledModel::intern_category(std::string_view text) {
    int c = find_category(text);
    if (c >= 0) return c;
    Category cat;
    cat.text = std::string(text);
    if (is_numeric(target_type)) cat.numeric = parse_double(text, cat.number);
    categories.push_back(std::move(cat));
    return static_cast<int>(categories.size()) - 1;
}

void CompiledModel::pick_best(ModelResult& r) const {
    int best = best_of(r.probs.data(), categories.size());
    r.category = best;
    r.value = best >= 0 ? category_value(best) : Value::missing();
}

// ---- OutputDef ------------------------------------------------------------------------------------

Value OutputDef::eval(Ctx& ctx) const {
    if (feature == Feature::transformed_value || feature == Feature::decision) return expr->eval(ctx);
    const ModelResult& r = ctx.s->results[static_cast<std::size_t>(model->result)];
    if (r.epoch != ctx.s->epoch) return Value::missing();
    switch (feature) {
        case Feature::predicted_value:
            return r.value;
        case Feature::predicted_display_value:
            if (r.category >= 0) {
                const auto c = static_cast<std::size_t>(r.category);
                const std::string_view display = model->categories.display(c);
                return Value::string(display.empty() ? std::string_view(model->categories[c].text) : display);
            }
            return r.value;
        case Feature::probability: {
            int c = category >= 0 ? category : r.category;
            if (c < 0) return Value::missing();
            if (r.has_probs) return Value::number(r.probs[static_cast<std::size_t>(c)]);
            if (r.category < 0) return Value::missing();
            return Value::number(c == r.category ? 1.0 : 0.0);
        }
        case Feature::confidence: {
            int c = category >= 0 ? category : r.category;
            if (r.has_confidences && c >= 0) return Value::number(r.confidences[static_cast<std::size_t>(c)]);
            if (category < 0 && !std::isnan(r.confidence)) return Value::number(r.confidence);
            if (r.has_probs && c >= 0) return Value::number(r.probs[static_cast<std::size_t>(c)]);
            return Value::missing();
        }
        case Feature::entity_id:
            if (r.entity_id.empty()) return Value::missing();
            return Value::string(r.entity_id);
        case Feature::family:
            return model->family_output(ctx, *this, r);
        case Feature::transformed_value:
        case Feature::decision:
            break;
    }
    return Value::missing();
}

}  // namespace scorestream::pmml::detail
