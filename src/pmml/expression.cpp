// Expressions: Constant, FieldRef, NormContinuous, NormDiscrete, Discretize, MapValues, Apply (the
// PMML built-in functions and DefineFunction calls).

#include "compiler.hpp"
#include "link.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <numeric>

namespace scorestream::pmml::detail {
namespace {

Value bool_value(bool b) { return Value::number(b ? 1.0 : 0.0, b ? "true" : "false"); }

/// An owned constant value (the Value points into `text`).
struct OwnedValue {
    std::string text;
    Value value;
    void set_text(std::string t, DataType type) {
        text = std::move(t);
        double x;
        if (type == DataType::string) {
            value = Value::string(text);
        } else if (type == DataType::boolean && (text == "true" || text == "false")) {
            value = Value::number(text == "true" ? 1.0 : 0.0, text);
        } else if (parse_double(text, x)) {
            value = Value::number(x, text);
        } else {
            value = Value::string(text);
        }
    }
    // Moving would leave `value` pointing at the old string: always rebuild.
    OwnedValue() = default;
    OwnedValue(const OwnedValue&) = delete;
    OwnedValue& operator=(const OwnedValue&) = delete;
};

class ConstantExpr final : public Expr {
public:
    OwnedValue v;
    Value eval(Ctx&) const override { return v.value; }
};

class FieldRefExpr final : public Expr {
public:
    int slot = -1;
    bool has_missing_to = false;
    OwnedValue missing_to;
    Value eval(Ctx& ctx) const override {
        const Value& v = ctx.get(slot);
        if (v.is_missing() && has_missing_to) return missing_to.value;
        return v;
    }
};

class ParamRefExpr final : public Expr {
public:
    std::size_t param = 0;
    Value eval(Ctx& ctx) const override { return ctx.s->frame[ctx.frame_base + param]; }
};

class NormContinuousExpr final : public Expr {
public:
    ExprPtr input;
    std::vector<double> orig, norm;
    OutlierTreatment outliers = OutlierTreatment::as_is;
    bool has_missing_to = false;
    double missing_to = 0;
    Value eval(Ctx& ctx) const override {
        Value v = input->eval(ctx);
        double x;
        if (v.is_missing() || !as_double(v, x)) {
            if (has_missing_to) return Value::number(missing_to);
            return Value::missing();
        }
        std::size_t n = orig.size();
        std::size_t i;
        if (x < orig[0] || x > orig[n - 1]) {
            if (outliers == OutlierTreatment::as_missing) return Value::missing();
            if (outliers == OutlierTreatment::as_extreme)
                return Value::number(x < orig[0] ? norm[0] : norm[n - 1]);
            i = x < orig[0] ? 1 : n - 1;  // extrapolate from the outer segment
        } else {
            i = 1;
            while (i < n - 1 && x > orig[i]) ++i;
        }
        double y = norm[i - 1] + (x - orig[i - 1]) * (norm[i] - norm[i - 1]) / (orig[i] - orig[i - 1]);
        return Value::number(y);
    }
};

class NormDiscreteExpr final : public Expr {
public:
    ExprPtr input;
    OwnedValue value;
    bool has_missing_to = false;
    double missing_to = 0;
    Value eval(Ctx& ctx) const override {
        Value v = input->eval(ctx);
        if (v.is_missing()) return has_missing_to ? Value::number(missing_to) : Value::missing();
        bool eq;
        if (v.is_number() && value.value.is_number())
            eq = v.as_number() == value.value.as_number();
        else
            eq = v.text() == value.text;
        return Value::number(eq ? 1.0 : 0.0);
    }
};

class DiscretizeExpr final : public Expr {
public:
    ExprPtr input;
    struct Bin {
        FieldDomain::Interval iv;
        OwnedValue value;
    };
    std::vector<std::unique_ptr<Bin>> bins;
    bool has_missing_to = false, has_default = false;
    OwnedValue missing_to, default_value;
    Value eval(Ctx& ctx) const override {
        Value v = input->eval(ctx);
        double x;
        if (v.is_missing() || !as_double(v, x)) return has_missing_to ? missing_to.value : Value::missing();
        for (const auto& b : bins) {
            bool lo = b->iv.lo_closed ? x >= b->iv.lo : x > b->iv.lo;
            bool hi = b->iv.hi_closed ? x <= b->iv.hi : x < b->iv.hi;
            if (lo && hi) return b->value.value;
        }
        return has_default ? default_value.value : Value::missing();
    }
};

bool cell_matches(const Value& v, const std::string& cell, bool cell_num, double cell_x) {
    if (v.is_number()) {
        if (cell_num) return v.as_number() == cell_x;
        return !v.text().empty() && v.text() == cell;
    }
    return v.text() == cell;
}

class MapValuesExpr final : public Expr {
public:
    std::vector<ExprPtr> inputs;
    std::size_t columns = 0;  ///< inputs.size() + 1 (the output column last)
    std::vector<std::string> cells;
    std::vector<double> cell_x;
    std::vector<std::uint8_t> cell_num;
    std::vector<std::unique_ptr<OwnedValue>> outputs;  ///< per row
    bool has_missing_to = false, has_default = false;
    OwnedValue missing_to, default_value;
    Value eval(Ctx& ctx) const override {
        Value in[8];
        std::size_t k = inputs.size();
        for (std::size_t j = 0; j < k; ++j) {
            in[j] = inputs[j]->eval(ctx);
            if (in[j].is_missing()) return has_missing_to ? missing_to.value : Value::missing();
        }
        std::size_t rows = outputs.size();
        for (std::size_t r = 0; r < rows; ++r) {
            bool all = true;
            for (std::size_t j = 0; j < k && all; ++j) {
                auto at = r * k + j;
                all = cell_matches(in[j], cells[at], cell_num[at] != 0, cell_x[at]);
            }
            if (all) return outputs[r]->value;
        }
        return has_default ? default_value.value : Value::missing();
    }
};

// ---- Apply ----------------------------------------------------------------------------------------

enum class Fn : std::uint8_t {
    add,
    sub,
    mul,
    div,
    min,
    max,
    sum,
    avg,
    median,
    product,
    log10,
    ln,
    exp,
    sqrt,
    abs,
    pow,
    threshold,
    floor,
    ceil,
    round,
    rint,
    modulo,
    sin,
    cos,
    tan,
    asin,
    acos,
    atan,
    atan2,
    sinh,
    cosh,
    tanh,
    expm1,
    ln1p,
    hypot,
    is_missing,
    is_not_missing,
    is_valid,
    is_invalid,
    equal,
    not_equal,
    less,
    less_equal,
    greater,
    greater_equal,
    and_,
    or_,
    not_,
    is_in,
    is_not_in,
    if_,
    uppercase,
    lowercase,
    substring,
    trim,
    concat,
    replace,
    matches,
    format_number,
    string_length,
    coalesce,
    normal_cdf,
    normal_pdf,
    normal_idf,
    std_normal_cdf,
    std_normal_pdf,
    std_normal_idf,
    erf
};

struct FnInfo {
    const char* name;
    Fn fn;
    int min_args, max_args;  ///< max -1: any number
};

constexpr FnInfo fn_table[] = {
    {"+", Fn::add, 2, 2},
    {"-", Fn::sub, 2, 2},
    {"*", Fn::mul, 2, 2},
    {"/", Fn::div, 2, 2},
    {"min", Fn::min, 1, -1},
    {"max", Fn::max, 1, -1},
    {"sum", Fn::sum, 1, -1},
    {"avg", Fn::avg, 1, -1},
    {"median", Fn::median, 1, -1},
    {"product", Fn::product, 1, -1},
    {"log10", Fn::log10, 1, 1},
    {"ln", Fn::ln, 1, 1},
    {"exp", Fn::exp, 1, 1},
    {"sqrt", Fn::sqrt, 1, 1},
    {"abs", Fn::abs, 1, 1},
    {"pow", Fn::pow, 2, 2},
    {"threshold", Fn::threshold, 2, 2},
    {"floor", Fn::floor, 1, 1},
    {"ceil", Fn::ceil, 1, 1},
    {"round", Fn::round, 1, 1},
    {"rint", Fn::rint, 1, 1},
    {"modulo", Fn::modulo, 2, 2},
    {"sin", Fn::sin, 1, 1},
    {"cos", Fn::cos, 1, 1},
    {"tan", Fn::tan, 1, 1},
    {"asin", Fn::asin, 1, 1},
    {"acos", Fn::acos, 1, 1},
    {"atan", Fn::atan, 1, 1},
    {"atan2", Fn::atan2, 2, 2},
    {"sinh", Fn::sinh, 1, 1},
    {"cosh", Fn::cosh, 1, 1},
    {"tanh", Fn::tanh, 1, 1},
    {"expm1", Fn::expm1, 1, 1},
    {"ln1p", Fn::ln1p, 1, 1},
    {"hypot", Fn::hypot, 2, 2},
    {"isMissing", Fn::is_missing, 1, 1},
    {"isNotMissing", Fn::is_not_missing, 1, 1},
    {"isValid", Fn::is_valid, 1, 1},
    {"isNotValid", Fn::is_invalid, 1, 1},  // the name PMML 4.4 lists
    {"isInvalid", Fn::is_invalid, 1, 1},   // the name this library took first; kept
    {"equal", Fn::equal, 2, 2},
    {"notEqual", Fn::not_equal, 2, 2},
    {"lessThan", Fn::less, 2, 2},
    {"lessOrEqual", Fn::less_equal, 2, 2},
    {"greaterThan", Fn::greater, 2, 2},
    {"greaterOrEqual", Fn::greater_equal, 2, 2},
    {"and", Fn::and_, 2, -1},
    {"or", Fn::or_, 2, -1},
    {"not", Fn::not_, 1, 1},
    {"isIn", Fn::is_in, 2, -1},
    {"isNotIn", Fn::is_not_in, 2, -1},
    {"if", Fn::if_, 2, 3},
    {"uppercase", Fn::uppercase, 1, 1},
    {"lowercase", Fn::lowercase, 1, 1},
    {"substring", Fn::substring, 3, 3},
    {"trimBlanks", Fn::trim, 1, 1},
    {"concat", Fn::concat, 2, -1},
    {"replace", Fn::replace, 3, 3},
    {"matches", Fn::matches, 2, 2},
    {"formatNumber", Fn::format_number, 2, 2},
    {"stringLength", Fn::string_length, 1, 1},
    {"coalesce", Fn::coalesce, 1, -1},
    {"normalCDF", Fn::normal_cdf, 3, 3},
    {"normalPDF", Fn::normal_pdf, 3, 3},
    {"normalIDF", Fn::normal_idf, 3, 3},
    {"stdNormalCDF", Fn::std_normal_cdf, 1, 1},
    {"stdNormalPDF", Fn::std_normal_pdf, 1, 1},
    {"stdNormalIDF", Fn::std_normal_idf, 1, 1},
    {"erf", Fn::erf, 1, 1},
};

const FnInfo* find_fn(std::string_view name) {
    for (const auto& f : fn_table)
        if (name == f.name) return &f;
    return nullptr;
}

int compare_values(const Value& a, const Value& b) {
    if (a.is_number() && b.is_number()) {
        double x = a.as_number(), y = b.as_number();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    double x, y;
    if (a.is_number() && parse_double(b.text(), y)) {
        x = a.as_number();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    if (b.is_number() && parse_double(a.text(), x)) {
        y = b.as_number();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    int c = a.text().compare(b.text());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

/// Whether a document's text is a value of `type`: for a numeric type a number (or, for a
/// boolean, true or false); any text for a string.
bool is_value_of(std::string_view text, DataType type) {
    double x;
    return !is_numeric(type) || parse_double(text, x) ||
           (type == DataType::boolean && (text == "true" || text == "false"));
}

double need_number(const Value& v, const char* fn) {
    double x;
    if (!as_double(v, x))
        fail(std::string("function '") + fn + "': '" + scorestream::to_string(v) + "' is not a number");
    return x;
}

/// Java-style (String.format) formatting of one number with a pattern such as "%.2f" or "%5d".
std::string_view format_number(Ctx& ctx, int buf, double x, std::string_view pattern) {
    std::string& out = ctx.buffer(buf);
    out.clear();
    std::size_t i = 0;
    while (i < pattern.size()) {
        char ch = pattern[i];
        if (ch != '%') {
            out.push_back(ch);
            ++i;
            continue;
        }
        if (i + 1 < pattern.size() && pattern[i + 1] == '%') {
            out.push_back('%');
            i += 2;
            continue;
        }
        std::size_t j = i + 1;
        std::string spec = "%";
        while (j < pattern.size() && std::strchr("-+ 0#,", pattern[j])) {
            if (pattern[j] != ',') spec.push_back(pattern[j]);
            ++j;
        }
        // Width and precision, each at most max_width / max_precision: enough for every double
        // (%f of 1.8e308 has 309 digits before the point), and what fits in tmp below, where the
        // C library would otherwise build texts of any size a pattern asks for.
        auto digits = [&](std::size_t most, const char* what) {
            std::size_t v = 0;
            const std::size_t from = j;
            while (j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j]))) {
                v = std::min<std::size_t>(v * 10 + static_cast<std::size_t>(pattern[j] - '0'), most + 1);
                ++j;
            }
            if (v > most)
                fail("formatNumber: the " + std::string(what) + " in '" + std::string(pattern) +
                     "' is above " + std::to_string(most));
            if (j > from) spec += std::to_string(v);
        };
        constexpr std::size_t max_width = 400, max_precision = 340;
        digits(max_width, "width");
        if (j < pattern.size() && pattern[j] == '.') {
            spec.push_back(pattern[j++]);
            digits(max_precision, "precision");
        }
        if (j >= pattern.size()) fail("formatNumber: bad pattern '" + std::string(pattern) + "'");
        char conv = pattern[j];
        char tmp[1024];  // the longest: a sign, 309 digits, the point and 340 decimals
        int n;
        if (conv == 'd' || conv == 'x' || conv == 'X' || conv == 'o') {
            // NaN, infinities and |x| >= 2^63 have no long long value (the conversion is undefined).
            if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0))
                fail("formatNumber: %" + std::string(1, conv) + " of " +
                     (std::isnan(x) ? std::string("NaN") : std::to_string(x)) + ", outside the long range");
            spec += "ll";
            spec.push_back(conv);
            n = std::snprintf(tmp, sizeof tmp, spec.c_str(), static_cast<long long>(x));
        } else if (std::strchr("feEgGaA", conv)) {
            spec.push_back(conv);
            n = std::snprintf(tmp, sizeof tmp, spec.c_str(), x);
        } else if (conv == 's') {
            char num[40];
            auto len = format_double(x, num, sizeof num);
            num[len] = '\0';
            spec.push_back('s');
            n = std::snprintf(tmp, sizeof tmp, spec.c_str(), num);
        } else {
            fail("formatNumber: unsupported conversion '%" + std::string(1, conv) + "'");
        }
        if (n >= static_cast<int>(sizeof tmp))
            fail("formatNumber: the text of '" + std::string(pattern) + "' is too long");
        if (n > 0) out.append(tmp, static_cast<std::size_t>(n));
        i = j + 1;
    }
    return out;
}

class ApplyExpr final : public Expr {
public:
    Fn fn = Fn::add;
    const char* fn_name = "";
    std::vector<ExprPtr> args;
    bool has_missing_to = false, has_default = false;
    OwnedValue missing_to, default_value;
    InvalidTreatment invalid = InvalidTreatment::return_invalid;
    int buffer = -1;
    Regex regex;   ///< the compiled pattern when it is a constant (empty otherwise)
    int line = 0;  ///< the <Apply>'s line in the document, for the failures of this call

    Value eval(Ctx& ctx) const override {
        Value r;
        try {
            r = compute(ctx);
        } catch (EvalFailure& f) {
            // Its own failure, or one from an argument that does not say where (a nested call of a
            // user function, say): the record's error names this <Apply>'s line.
            if (!f.located) {
                f.message += " (<Apply> at line " + std::to_string(line) + ")";
                f.located = true;
            }
            throw;
        }
        if (r.is_missing() && has_default) return default_value.value;
        return r;
    }

private:
    Value missing_result() const { return has_missing_to ? missing_to.value : Value::missing(); }

    /// The pattern of this record: the constant one, or `pattern` compiled into `scratch`. A
    /// pattern that does not compile is an invalid value: per invalidValueTreatment, the record
    /// fails with the reason or the result is missing.
    const Regex* pattern_of(const Value& pattern, Regex& scratch) const {
        if (!regex.empty()) return &regex;
        RegexError err;
        if (scratch.compile(pattern.text(), false, err)) return &scratch;
        if (invalid == InvalidTreatment::return_invalid)
            fail(std::string("function '") + fn_name + "': bad regular expression '" +
                 std::string(pattern.text()) + "' at offset " + std::to_string(err.offset) + ": " +
                 err.message);
        return nullptr;
    }

    Value unary(Ctx& ctx) const {
        Value a = args[0]->eval(ctx);
        if (a.is_missing()) return missing_result();
        double x = need_number(a, fn_name), y;
        switch (fn) {
            case Fn::log10:
                y = std::log10(x);
                break;
            case Fn::ln:
                y = std::log(x);
                break;
            case Fn::exp:
                y = std::exp(x);
                break;
            case Fn::sqrt:
                y = std::sqrt(x);
                break;
            case Fn::abs:
                y = std::fabs(x);
                break;
            case Fn::floor:
                y = std::floor(x);
                break;
            case Fn::ceil:
                y = std::ceil(x);
                break;
            case Fn::round:
                y = round_half_up(x);
                break;
            case Fn::rint:
                y = std::nearbyint(x);
                break;
            case Fn::sin:
                y = std::sin(x);
                break;
            case Fn::cos:
                y = std::cos(x);
                break;
            case Fn::tan:
                y = std::tan(x);
                break;
            case Fn::asin:
                y = std::asin(x);
                break;
            case Fn::acos:
                y = std::acos(x);
                break;
            case Fn::atan:
                y = std::atan(x);
                break;
            case Fn::sinh:
                y = std::sinh(x);
                break;
            case Fn::cosh:
                y = std::cosh(x);
                break;
            case Fn::tanh:
                y = std::tanh(x);
                break;
            case Fn::expm1:
                y = std::expm1(x);
                break;
            case Fn::ln1p:
                y = std::log1p(x);
                break;
            case Fn::std_normal_cdf:
                y = normal_cdf(x);
                break;
            case Fn::std_normal_pdf:
                y = normal_pdf(x);
                break;
            case Fn::std_normal_idf:
                y = normal_quantile(x);
                break;
            case Fn::erf:
                y = std::erf(x);
                break;
            default:
                y = nan_v;
                break;
        }
        return checked(y);
    }

    /// normalCDF, normalPDF and normalIDF: the standard function of (x - mu) / sigma, or for the
    /// IDF mu + sigma times the standard quantile of p. A sigma that is not above zero, and a p
    /// outside [0, 1], give NaN: an invalid result (invalidValueTreatment).
    Value normal(Ctx& ctx) const {
        double v[3];
        for (std::size_t i = 0; i < 3; ++i) {
            Value a = args[i]->eval(ctx);
            if (a.is_missing()) return missing_result();
            v[i] = need_number(a, fn_name);
        }
        const double x = v[0], mu = v[1], sigma = v[2];
        if (!(sigma > 0)) return checked(nan_v);
        if (fn == Fn::normal_idf) return checked(mu + sigma * normal_quantile(x));
        const double z = (x - mu) / sigma;
        return checked(fn == Fn::normal_cdf ? normal_cdf(z) : normal_pdf(z) / sigma);
    }

    Value checked(double y) const {
        if (std::isnan(y)) {
            switch (invalid) {
                case InvalidTreatment::return_invalid:
                    fail(std::string("function '") + fn_name + "' returned an invalid result");
                case InvalidTreatment::as_missing:
                    return Value::missing();
                default:
                    break;
            }
        }
        return Value::number(y);
    }

    Value binary(Ctx& ctx) const {
        Value a = args[0]->eval(ctx);
        if (a.is_missing()) return missing_result();
        Value b = args[1]->eval(ctx);
        if (b.is_missing()) return missing_result();
        switch (fn) {
            case Fn::equal:
                return bool_value(compare_values(a, b) == 0);
            case Fn::not_equal:
                return bool_value(compare_values(a, b) != 0);
            case Fn::less:
                return bool_value(compare_values(a, b) < 0);
            case Fn::less_equal:
                return bool_value(compare_values(a, b) <= 0);
            case Fn::greater:
                return bool_value(compare_values(a, b) > 0);
            case Fn::greater_equal:
                return bool_value(compare_values(a, b) >= 0);
            case Fn::matches: {
                Regex per_record;
                const Regex* re = pattern_of(b, per_record);
                if (!re) return Value::missing();
                return bool_value(re->contains(a.text(), ctx.s->regex));
            }
            case Fn::format_number:
                return Value::string(format_number(ctx, buffer, need_number(a, fn_name), b.text()));
            default:
                break;
        }
        double x = need_number(a, fn_name), y = need_number(b, fn_name), z;
        switch (fn) {
            case Fn::add:
                z = x + y;
                break;
            case Fn::sub:
                z = x - y;
                break;
            case Fn::mul:
                z = x * y;
                break;
            case Fn::div:
                if (y == 0) {  // under asIs, the infinity (or NaN, for 0 / 0) as it is
                    if (invalid == InvalidTreatment::return_invalid) fail("function '/': division by zero");
                    if (invalid == InvalidTreatment::as_missing) return Value::missing();
                }
                z = x / y;
                break;
            case Fn::pow:
                z = std::pow(x, y);
                break;
            case Fn::threshold:
                z = x > y ? 1.0 : 0.0;
                break;
            case Fn::modulo:
                z = x - std::floor(x / y) * y;
                break;
            case Fn::atan2:
                z = std::atan2(x, y);
                break;
            case Fn::hypot:
                z = std::hypot(x, y);
                break;
            default:
                z = nan_v;
                break;
        }
        return checked(z);
    }

    Value aggregate(Ctx& ctx) const {
        auto& frame = ctx.s->frame;
        std::size_t base = frame.size();
        for (const auto& a : args) {
            Value v = a->eval(ctx);
            if (!v.is_missing()) frame.push_back(v);
        }
        std::size_t n = frame.size() - base;
        if (n == 0) {
            frame.resize(base);
            return missing_result();
        }
        double acc = fn == Fn::product ? 1.0 : 0.0;
        if (fn == Fn::min) acc = HUGE_VAL;
        if (fn == Fn::max) acc = -HUGE_VAL;
        for (std::size_t i = base; i < base + n; ++i) {
            double x = need_number(frame[i], fn_name);
            switch (fn) {
                case Fn::min:
                    acc = std::min(acc, x);
                    break;
                case Fn::max:
                    acc = std::max(acc, x);
                    break;
                case Fn::sum:
                case Fn::avg:
                    acc += x;
                    break;
                case Fn::product:
                    acc *= x;
                    break;
                case Fn::median:
                    frame[i] = Value::number(x);
                    break;
                default:
                    break;
            }
        }
        if (fn == Fn::avg) acc /= static_cast<double>(n);
        if (fn == Fn::median) {
            auto first = frame.begin() + static_cast<std::ptrdiff_t>(base);
            std::sort(first, frame.end(),
                      [](const Value& l, const Value& r) { return l.as_number() < r.as_number(); });
            acc = n % 2 ? frame[base + n / 2].as_number()
                        : (frame[base + n / 2 - 1].as_number() + frame[base + n / 2].as_number()) / 2.0;
        }
        frame.resize(base);
        return Value::number(acc);
    }

    static bool truth(const Value& v, bool& out) {
        if (v.is_missing()) return false;
        if (v.is_number()) {
            out = v.as_number() != 0.0;
            return true;
        }
        if (v.text() == "true") {
            out = true;
            return true;
        }
        if (v.text() == "false") {
            out = false;
            return true;
        }
        double x;
        if (parse_double(v.text(), x)) {
            out = x != 0.0;
            return true;
        }
        fail("'" + std::string(v.text()) + "' is not a boolean");
    }

    Value compute(Ctx& ctx) const {
        switch (fn) {
            case Fn::add:
            case Fn::sub:
            case Fn::mul:
            case Fn::div:
            case Fn::pow:
            case Fn::threshold:
            case Fn::modulo:
            case Fn::atan2:
            case Fn::hypot:
            case Fn::equal:
            case Fn::not_equal:
            case Fn::less:
            case Fn::less_equal:
            case Fn::greater:
            case Fn::greater_equal:
            case Fn::matches:
            case Fn::format_number:
                return binary(ctx);
            case Fn::min:
            case Fn::max:
            case Fn::sum:
            case Fn::avg:
            case Fn::median:
            case Fn::product:
                return aggregate(ctx);
            case Fn::normal_cdf:
            case Fn::normal_pdf:
            case Fn::normal_idf:
                return normal(ctx);
            case Fn::is_missing:
                return bool_value(args[0]->eval(ctx).is_missing());
            case Fn::is_not_missing:
                return bool_value(!args[0]->eval(ctx).is_missing());
            case Fn::is_valid:
            case Fn::is_invalid: {
                bool bad = false;
                Value v = args[0]->eval(ctx);
                if (auto* ref = dynamic_cast<const FieldRefExpr*>(args[0].get()))
                    bad = ctx.is_invalid(ref->slot);
                bool valid = !v.is_missing() && !bad;
                if (fn == Fn::is_valid) return bool_value(valid);
                return bool_value(bad);
            }
            case Fn::and_:
            case Fn::or_: {
                bool unknown = false;
                for (const auto& a : args) {
                    Value v = a->eval(ctx);
                    bool b;
                    if (!truth(v, b)) {
                        unknown = true;
                        continue;
                    }
                    if (fn == Fn::and_ && !b) return bool_value(false);
                    if (fn == Fn::or_ && b) return bool_value(true);
                }
                if (unknown) return missing_result();
                return bool_value(fn == Fn::and_);
            }
            case Fn::not_: {
                bool b;
                if (!truth(args[0]->eval(ctx), b)) return missing_result();
                return bool_value(!b);
            }
            case Fn::is_in:
            case Fn::is_not_in: {
                Value v = args[0]->eval(ctx);
                if (v.is_missing()) return missing_result();
                bool found = false;
                for (std::size_t i = 1; i < args.size() && !found; ++i) {
                    Value w = args[i]->eval(ctx);
                    found = !w.is_missing() && compare_values(v, w) == 0;
                }
                return bool_value(fn == Fn::is_in ? found : !found);
            }
            case Fn::if_: {
                bool b;
                if (!truth(args[0]->eval(ctx), b)) return missing_result();
                if (b) return args[1]->eval(ctx);
                if (args.size() > 2) return args[2]->eval(ctx);
                return Value::missing();
            }
            case Fn::coalesce:
                for (const auto& a : args) {
                    Value v = a->eval(ctx);
                    if (!v.is_missing()) return v;
                }
                return missing_result();
            case Fn::uppercase:
            case Fn::lowercase: {
                Value v = args[0]->eval(ctx);
                if (v.is_missing()) return missing_result();
                std::string& out = ctx.buffer(buffer);
                out.assign(v.text().data(), v.text().size());
                for (auto& ch : out)
                    ch =
                        static_cast<char>(fn == Fn::uppercase ? std::toupper(static_cast<unsigned char>(ch))
                                                              : std::tolower(static_cast<unsigned char>(ch)));
                return Value::string(out);
            }
            case Fn::trim: {
                Value v = args[0]->eval(ctx);
                if (v.is_missing()) return missing_result();
                auto t = v.text();
                while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
                while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
                return Value::string(ctx.store(buffer, t));
            }
            case Fn::string_length: {
                Value v = args[0]->eval(ctx);
                if (v.is_missing()) return missing_result();
                return Value::number(static_cast<double>(v.text().size()));
            }
            case Fn::substring: {
                Value v = args[0]->eval(ctx);
                Value s = args[1]->eval(ctx);
                Value l = args[2]->eval(ctx);
                if (v.is_missing() || s.is_missing() || l.is_missing()) return missing_result();
                double start = need_number(s, fn_name), len = need_number(l, fn_name);
                // Written so that NaN fails too; both are clamped to the text before the
                // conversion (a start or length of 1e300 or infinity is not a size_t).
                if (!(start >= 1) || !(len >= 0)) fail("substring: bad start or length");
                auto t = v.text();
                double size = static_cast<double>(t.size());
                auto b = static_cast<std::size_t>(std::min(start - 1, size));
                auto n = std::min(static_cast<std::size_t>(std::min(len, size)), t.size() - b);
                return Value::string(ctx.store(buffer, t.substr(b, n)));
            }
            case Fn::concat: {
                auto& frame = ctx.s->frame;
                std::size_t base = frame.size();
                for (const auto& a : args) {
                    Value v = a->eval(ctx);
                    if (v.is_missing()) {
                        frame.resize(base);
                        return missing_result();
                    }
                    frame.push_back(v);
                }
                // The length first: nested concats (or functions) that double a text would
                // otherwise grow it until memory runs out.
                std::size_t length = 0;
                for (std::size_t i = base; i < frame.size(); ++i)
                    length += frame[i].is_number() && frame[i].text().empty() ? 40 : frame[i].text().size();
                if (length > max_text_bytes) {
                    frame.resize(base);
                    fail("function 'concat': the result would be " + std::to_string(length) +
                         " bytes long (at most " + std::to_string(max_text_bytes) + ")");
                }
                std::string& out = ctx.buffer(buffer);
                out.clear();
                for (std::size_t i = base; i < frame.size(); ++i) {
                    if (frame[i].is_number() && frame[i].text().empty()) {
                        char tmp[40];
                        out.append(tmp, format_double(frame[i].as_number(), tmp, sizeof tmp));
                    } else {
                        out.append(frame[i].text().data(), frame[i].text().size());
                    }
                }
                frame.resize(base);
                return Value::string(out);
            }
            case Fn::replace: {
                Value v = args[0]->eval(ctx);
                Value p = args[1]->eval(ctx);
                Value r = args[2]->eval(ctx);
                if (v.is_missing() || p.is_missing() || r.is_missing()) return missing_result();
                Regex per_record;
                const Regex* re = pattern_of(p, per_record);
                if (!re) return Value::missing();
                // Built aside first: the input may be a view of this node's own buffer.
                std::string& out = ctx.s->regex_text;
                out.clear();
                const RegexStatus status = re->replace(v.text(), r.text(), ctx.s->regex, out, max_text_bytes);
                if (status == RegexStatus::too_long)
                    fail("function 'replace': the result is longer than " + std::to_string(max_text_bytes) +
                         " bytes");
                if (status == RegexStatus::too_slow) {
                    // Like a pattern that does not compile: an invalid value (see pattern_of).
                    if (invalid == InvalidTreatment::return_invalid)
                        fail("function 'replace': the regular expression takes too long on a text of " +
                             std::to_string(v.text().size()) + " bytes (its searches passed " +
                             std::to_string(re->work_budget(v.text().size())) + " steps)");
                    return Value::missing();
                }
                return Value::string(ctx.store(buffer, out));
            }
            default:
                return unary(ctx);
        }
    }
};

class CallExpr final : public Expr {
public:
    const FunctionDef* f = nullptr;
    std::vector<ExprPtr> args;
    int buffer = -1;
    Value eval(Ctx& ctx) const override {
        if (ctx.call_depth > 64) fail("function calls nested too deeply");
        auto& frame = ctx.s->frame;
        std::size_t base = frame.size();
        for (std::size_t i = 0; i < args.size(); ++i) {
            Value v = args[i]->eval(ctx);
            DataType t = f->param_types[i];
            if (t != DataType::unknown && !convert(ctx, v, t, -1)) v = Value::missing();
            frame.push_back(v);
        }
        std::size_t saved = ctx.frame_base;
        ctx.frame_base = base;
        ++ctx.call_depth;
        Value r;
        try {
            r = f->body->eval(ctx);
        } catch (...) {
            --ctx.call_depth;
            ctx.frame_base = saved;
            frame.resize(base);
            throw;
        }
        --ctx.call_depth;
        ctx.frame_base = saved;
        frame.resize(base);
        if (f->type != DataType::unknown && !convert(ctx, r, f->type, buffer)) r = Value::missing();
        if (r.is_string()) r = Value::string(ctx.store(buffer, r.text()));
        return r;
    }
};

void set_owned(OwnedValue& o, std::string_view text, DataType type) { o.set_text(std::string(text), type); }

}  // namespace

bool Compiler::is_expression(std::string_view e) {
    return e == "Constant" || e == "FieldRef" || e == "NormContinuous" || e == "NormDiscrete" ||
           e == "Discretize" || e == "MapValues" || e == "Apply" || e == "TextIndex" || e == "Aggregate" ||
           e == "Lag";
}

ExprPtr Compiler::expression_child(pugi::xml_node n, Scope& scope, int depth) {
    for (auto k : n.children()) {
        if (k.type() != pugi::node_element) continue;
        if (is_expression(name_of(k))) return expression(k, scope, depth + 1);
    }
    parse_fail(n, "<" + std::string(name_of(n)) + "> has no expression");
}

ExprPtr Compiler::expression(pugi::xml_node n, Scope& scope, int depth) {
    // `depth` restarts in each derived field and function; nesting_ runs on through the ones this
    // expression compiles when it first names them, so a chain of thousands of fields, each one
    // level deep, is refused here rather than overflowing the stack.
    struct Nested {
        int& n;
        explicit Nested(int& count) : n(++count) {}
        ~Nested() { --n; }
        Nested(const Nested&) = delete;
        Nested& operator=(const Nested&) = delete;
    } nested(nesting_);
    if (depth > limits.max_depth || nesting_ > limits.max_depth)
        invalid(n, "expressions nested deeper than " + std::to_string(limits.max_depth) +
                       (depth > limits.max_depth ? std::string()
                                                 : " (through the derived fields and functions they use)"));
    auto name = name_of(n);
    if (name == "Constant") {
        auto e = std::make_unique<ConstantExpr>();
        DataType t = data_type(n, DataType::unknown);
        if (attr(n, "missing") == "true") {
            e->v.value = Value::missing();
        } else {
            std::string body = n.child_value();
            if (t != DataType::string) {
                // Numbers may carry surrounding blanks; strings keep them.
                double x;
                if (parse_double(body, x)) {
                    auto b = body.find_first_not_of(" \t\r\n");
                    auto l = body.find_last_not_of(" \t\r\n");
                    body = body.substr(b, l - b + 1);
                } else if (is_numeric(t)) {
                    invalid(n, "Constant '" + body + "' is not a " + to_string(t));
                }
            }
            e->v.set_text(body, t);
        }
        e->type =
            t != DataType::unknown ? t : (e->v.value.is_number() ? DataType::double_ : DataType::string);
        return e;
    }
    if (name == "FieldRef") {
        auto target = resolve(scope, required(n, "field"), n);
        if (target.param >= 0) {
            auto e = std::make_unique<ParamRefExpr>();
            e->param = static_cast<std::size_t>(target.param);
            e->type = target.type;
            return e;
        }
        auto e = std::make_unique<FieldRefExpr>();
        e->slot = target.slot;
        e->type = target.type;
        if (has_attr(n, "mapMissingTo")) {
            e->has_missing_to = true;
            set_owned(e->missing_to, attr(n, "mapMissingTo"), e->type);
        }
        return e;
    }
    auto input_of = [&](pugi::xml_node node) -> ExprPtr {
        auto target = resolve(scope, required(node, "field"), node);
        if (target.param >= 0) {
            auto e = std::make_unique<ParamRefExpr>();
            e->param = static_cast<std::size_t>(target.param);
            e->type = target.type;
            return e;
        }
        auto e = std::make_unique<FieldRefExpr>();
        e->slot = target.slot;
        e->type = target.type;
        return e;
    };
    if (name == "NormContinuous") {
        auto e = std::make_unique<NormContinuousExpr>();
        e->input = input_of(n);
        e->type = DataType::double_;
        for (auto ln : children(n, "LinearNorm")) {
            e->orig.push_back(required_number(ln, "orig"));
            e->norm.push_back(required_number(ln, "norm"));
        }
        if (e->orig.size() < 2) invalid(n, "NormContinuous needs at least two LinearNorm elements");
        for (std::size_t i = 1; i < e->orig.size(); ++i)
            if (!(e->orig[i] > e->orig[i - 1])) invalid(n, "LinearNorm orig values must increase");
        auto o = attr(n, "outliers");
        if (o == "asMissingValues")
            e->outliers = OutlierTreatment::as_missing;
        else if (o == "asExtremeValues")
            e->outliers = OutlierTreatment::as_extreme;
        else if (!o.empty() && o != "asIs")
            invalid(n, "unknown outliers '" + std::string(o) + "'");
        if (has_attr(n, "mapMissingTo")) {
            e->has_missing_to = true;
            e->missing_to = required_number(n, "mapMissingTo");
        }
        return e;
    }
    if (name == "NormDiscrete") {
        auto e = std::make_unique<NormDiscreteExpr>();
        e->input = input_of(n);
        e->type = DataType::double_;
        set_owned(e->value, required(n, "value"),
                  e->input->type == DataType::string ? DataType::string : DataType::unknown);
        if (has_attr(n, "mapMissingTo")) {
            e->has_missing_to = true;
            e->missing_to = required_number(n, "mapMissingTo");
        }
        return e;
    }
    // mapMissingTo and defaultValue, as Discretize and MapValues both read them.
    auto read_missing_and_default = [&](pugi::xml_node node, auto& e, DataType type) {
        if (has_attr(node, "mapMissingTo")) {
            e.has_missing_to = true;
            set_owned(e.missing_to, attr(node, "mapMissingTo"), type);
        }
        if (has_attr(node, "defaultValue")) {
            e.has_default = true;
            set_owned(e.default_value, attr(node, "defaultValue"), type);
        }
    };
    if (name == "Discretize") {
        auto e = std::make_unique<DiscretizeExpr>();
        e->input = input_of(n);
        DataType t = data_type(n, DataType::string);
        e->type = t;
        for (auto bin : children(n, "DiscretizeBin")) {
            auto b = std::make_unique<DiscretizeExpr::Bin>();
            auto iv = child(bin, "Interval");
            if (!iv) parse_fail(bin, "DiscretizeBin without an Interval");
            b->iv.lo = number(iv, "leftMargin", -HUGE_VAL);
            b->iv.hi = number(iv, "rightMargin", HUGE_VAL);
            auto cl = required(iv, "closure");
            if (cl != "openOpen" && cl != "openClosed" && cl != "closedOpen" && cl != "closedClosed")
                invalid(iv, "unknown closure '" + std::string(cl) + "'");
            b->iv.lo_closed = cl == "closedOpen" || cl == "closedClosed";
            b->iv.hi_closed = cl == "openClosed" || cl == "closedClosed";
            const auto bin_value = required(bin, "binValue");
            if (!is_value_of(bin_value, t))
                invalid(bin, "binValue '" + std::string(bin_value) + "' is not a " + to_string(t) +
                                 " (the Discretize's dataType)");
            set_owned(b->value, bin_value, t);
            e->bins.push_back(std::move(b));
        }
        read_missing_and_default(n, *e, t);
        return e;
    }
    if (name == "MapValues") {
        auto e = std::make_unique<MapValuesExpr>();
        DataType t = data_type(n, DataType::string);
        e->type = t;
        std::vector<std::string> cols;
        for (auto p : children(n, "FieldColumnPair")) {
            e->inputs.push_back(input_of(p));
            cols.emplace_back(local_name(required(p, "column")));
        }
        if (e->inputs.empty() || e->inputs.size() > 8)
            invalid(n, "MapValues needs 1 to 8 FieldColumnPair elements");
        std::string out_col(local_name(required(n, "outputColumn")));
        auto table = child(n, "InlineTable");
        if (!table) {
            if (child(n, "TableLocator")) unsupported(n, "TableLocator is not supported");
            parse_fail(n, "MapValues without an InlineTable");
        }
        // A row without one of the columns maps nothing (sparse tables); a column no row has is
        // a name that is wrong, and an output that is no value of the dataType would be lost.
        std::vector<bool> anywhere(cols.size() + 1, false);  // the last: the output column
        const auto rows = children(table, "row");
        for (auto row : rows) {
            std::vector<std::string> cells(cols.size());
            std::vector<bool> seen(cols.size(), false);
            std::string out;
            bool has_out = false;
            pugi::xml_node out_cell;
            for (auto cell : row.children()) {
                if (cell.type() != pugi::node_element) continue;
                auto cn = name_of(cell);
                for (std::size_t j = 0; j < cols.size(); ++j)
                    if (cn == cols[j]) cells[j] = cell.child_value(), seen[j] = true, anywhere[j] = true;
                if (cn == out_col) out = cell.child_value(), has_out = true, out_cell = cell;
            }
            anywhere.back() = anywhere.back() || has_out;
            if (!has_out || std::find(seen.begin(), seen.end(), false) != seen.end()) continue;
            if (!is_value_of(out, t))
                invalid(out_cell, "'" + out + "' is not a " + to_string(t) + " (the MapValues' dataType)");
            for (std::size_t j = 0; j < cols.size(); ++j) {
                double x = 0;
                bool num = e->inputs[j]->type != DataType::string && parse_double(cells[j], x);
                e->cells.push_back(cells[j]);
                e->cell_x.push_back(x);
                e->cell_num.push_back(num ? 1 : 0);
            }
            auto o = std::make_unique<OwnedValue>();
            o->set_text(out, t);
            e->outputs.push_back(std::move(o));
        }
        if (!rows.empty())
            for (std::size_t j = 0; j < anywhere.size(); ++j)
                if (!anywhere[j])
                    invalid(n, "no row of the InlineTable has the column '" +
                                   (j < cols.size() ? cols[j] : out_col) + "'");
        read_missing_and_default(n, *e, t);
        return e;
    }
    if (name == "Apply") {
        auto fname = required(n, "function");
        std::vector<ExprPtr> args;
        for (auto k : n.children()) {
            if (k.type() != pugi::node_element) continue;
            auto kn = name_of(k);
            if (kn == "Extension") continue;
            if (!is_expression(kn)) parse_fail(k, "<" + std::string(kn) + "> is not an expression");
            args.push_back(expression(k, scope, depth + 1));
        }
        auto ivt = attr(n, "invalidValueTreatment");
        InvalidTreatment it = InvalidTreatment::return_invalid;
        if (ivt == "asIs")
            it = InvalidTreatment::as_is;
        else if (ivt == "asMissing")
            it = InvalidTreatment::as_missing;
        else if (!ivt.empty() && ivt != "returnInvalid")
            invalid(n, "unknown invalidValueTreatment '" + std::string(ivt) + "'");

        if (auto* info = find_fn(fname); info && functions.find(fname) == functions.end()) {
            int count = static_cast<int>(args.size());
            if (count < info->min_args || (info->max_args >= 0 && count > info->max_args))
                invalid(n, "function '" + std::string(fname) + "' called with " + std::to_string(count) +
                               " arguments");
            auto e = std::make_unique<ApplyExpr>();
            e->fn = info->fn;
            e->fn_name = info->name;
            e->invalid = it;
            e->line = line_of(n);
            switch (info->fn) {
                case Fn::uppercase:
                case Fn::lowercase:
                case Fn::substring:
                case Fn::trim:
                case Fn::concat:
                case Fn::replace:
                case Fn::format_number:
                    e->type = DataType::string;
                    e->buffer = prog.layout.add_buffer();
                    break;
                case Fn::if_:
                case Fn::coalesce:
                    e->type = args.size() > 1 ? args[1]->type : DataType::unknown;
                    break;
                default:
                    e->type = DataType::double_;
                    break;
            }
            if (auto* pattern = info->fn == Fn::matches || info->fn == Fn::replace
                                    ? dynamic_cast<ConstantExpr*>(args[1].get())
                                    : nullptr) {
                RegexError err;
                if (!e->regex.compile(pattern->v.text, false, err)) {
                    std::string msg = "function '" + std::string(fname) + "': regular expression '" +
                                      pattern->v.text + "' at offset " + std::to_string(err.offset) + ": " +
                                      err.message;
                    if (err.kind == RegexError::Kind::unsupported) unsupported(n, msg);
                    invalid(n, msg);
                }
            }
            e->args = std::move(args);
            if (has_attr(n, "mapMissingTo")) {
                e->has_missing_to = true;
                set_owned(e->missing_to, attr(n, "mapMissingTo"), e->type);
            }
            if (has_attr(n, "defaultValue")) {
                e->has_default = true;
                set_owned(e->default_value, attr(n, "defaultValue"), e->type);
            }
            return e;
        }
        FunctionDef* f = function(fname, n);
        if (args.size() != f->params.size())
            invalid(n, "function '" + std::string(fname) + "' takes " + std::to_string(f->params.size()) +
                           " arguments, called with " + std::to_string(args.size()));
        count_call(*f, n);
        auto e = std::make_unique<CallExpr>();
        e->f = f;
        e->args = std::move(args);
        e->type = f->type;
        e->buffer = prog.layout.add_buffer();
        return e;
    }
    if (name == "TextIndex") return compile_text_index(*this, n, scope, depth);
    unsupported(n, "expression <" + std::string(name) + "> is not supported");
}

FunctionDef* Compiler::function(std::string_view name, pugi::xml_node where_node) {
    auto it = functions.find(name);
    if (it == functions.end()) invalid(where_node, "call of undefined function '" + std::string(name) + "'");
    FunctionDef& f = *it->second;
    if (f.compiled) return &f;
    if (f.busy)
        invalid(where_node, "function '" + std::string(name) + "' calls itself (recursion is not allowed)");
    f.busy = true;
    Scope fs;
    fs.function_scope = true;
    for (std::size_t i = 0; i < f.params.size(); ++i) {
        Scope::Entry e;
        e.param = static_cast<int>(i);
        e.param_type = f.param_types[i];
        fs.names[f.params[i]] = e;
    }
    bodies_.push_back({});
    f.body = expression_child(f.node, fs, 1);
    f.calls = bodies_.back().calls;
    f.depth = 1 + bodies_.back().depth;
    bodies_.pop_back();
    f.busy = false;
    f.compiled = true;
    if (f.depth > limits.max_call_depth)
        invalid(f.node, "function '" + f.name + "' calls functions " + std::to_string(f.depth) +
                            " deep (at most " + std::to_string(limits.max_call_depth) + ")");
    return &f;
}

void Compiler::count_call(const FunctionDef& f, pugi::xml_node n) {
    const double calls = 1 + f.calls;
    double& total = bodies_.empty() ? document_calls_ : bodies_.back().calls;
    total += calls;
    if (!bodies_.empty()) bodies_.back().depth = std::max(bodies_.back().depth, f.depth);
    if (total > limits.max_calls) {
        char count[32];
        std::snprintf(count, sizeof count, "%.3g", total);
        invalid(n, std::string(bodies_.empty() ? "the document's expressions make "
                                               : "each call of the function around this call makes ") +
                       count + " calls of functions a record (at most " +
                       std::to_string(static_cast<long>(limits.max_calls)) + "; a call of '" + f.name +
                       "' makes " + std::to_string(static_cast<long long>(f.calls)) + " more)");
    }
}

}  // namespace scorestream::pmml::detail
