// TextIndex: the frequency of a term in a text field, with the spec's local term weights, case
// folding, Levenshtein-tolerant matching and TextIndexNormalization tables (applied in order).
//
// Pipeline for one record: read the text; apply each TextIndexNormalization (when it tokenizes,
// the text is first re-written as its tokens joined by single blanks and a row's pattern only
// matches whole tokens); split the text and the term into tokens; count the places where the
// term's tokens match consecutive text tokens within maxLevenshteinDistance (the sum of the
// tokens' edit distances), all of them or only those at the best distance (countHits); weight.
//
// Tokens are the matches of the `x-wordRE` extension when present, otherwise the pieces between
// matches of wordSeparatorCharacterRE with leading and trailing sentence punctuation
// (.,;:!?"'()[]{}) removed. Case folding is ASCII. Every regular expression is compiled once, at load
// (regex.hpp: ECMAScript subset, matched without recursion over the text). A record allocates: the
// normalized text and token lists.

#include "compiler.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace scorestream::pmml::detail {
namespace {

enum class Weights : std::uint8_t { term_frequency, binary, logarithmic, augmented };
enum class Hits : std::uint8_t { all, best };

/// Punctuation removed from the ends of tokens ("dog." is "dog"); symbols such as '+' or '#'
/// stay, so "c++" remains a term.
bool is_sentence_punct(char ch) { return ch != '\0' && std::strchr(".,;:!?\"'()[]{}", ch) != nullptr; }

struct Token {
    std::size_t begin, size;
};

/// How a text becomes tokens.
struct Tokenizer {
    bool tokenize = true;
    bool word_re = false;  ///< `re` matches words (x-wordRE) rather than separators
    bool blanks = false;   ///< the separator is "\s+" or "\s": split by hand (cheaper than the VM)
    Regex re;

    void split(std::string_view text, std::vector<Token>& out, RegexScratch& scratch) const {
        out.clear();
        if (!tokenize) {
            if (!text.empty()) out.push_back({0, text.size()});
            return;
        }
        std::size_t at = 0;
        auto piece = [&](std::size_t b, std::size_t e) {
            while (b < e && is_sentence_punct(text[b])) ++b;
            while (e > b && is_sentence_punct(text[e - 1])) --e;
            if (e > b) out.push_back({b, e - b});
        };
        if (blanks) {
            // ECMAScript's \s on ASCII text: blank, tab, newline, vertical tab, form feed, return.
            for (std::size_t i = 0; i < text.size(); ++i)
                if (std::isspace(static_cast<unsigned char>(text[i]))) {
                    piece(at, i);
                    at = i + 1;
                }
            piece(at, text.size());
            return;
        }
        RegexSpan m;
        if (word_re) {
            const RegexStatus status = re.for_each(text, scratch, &m, 1, [&](const RegexSpan* s) {
                if (s->end > s->begin) out.push_back({s->begin, s->end - s->begin});
                return true;
            });
            if (status == RegexStatus::too_slow)
                fail("TextIndex: the x-wordRE regular expression takes too long on a text of " +
                     std::to_string(text.size()) + " bytes");
            return;
        }
        const RegexStatus status = re.for_each(text, scratch, &m, 1, [&](const RegexSpan* s) {
            if (s->end > s->begin) {  // an empty separator match splits nothing
                piece(at, s->begin);
                at = s->end;
            }
            return true;
        });
        if (status == RegexStatus::too_slow)
            fail("TextIndex: the wordSeparatorCharacterRE regular expression takes too long on a text of " +
                 std::to_string(text.size()) + " bytes");
        piece(at, text.size());
    }
};

bool same_char(char a, char b, bool case_sensitive) {
    if (case_sensitive) return a == b;
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
}

/// Levenshtein distance of a and b when it is at most `limit`, otherwise limit + 1.
int levenshtein(std::string_view a, std::string_view b, bool case_sensitive, int limit) {
    auto diff = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
    if (diff > static_cast<std::size_t>(limit)) return limit + 1;
    constexpr std::size_t small = 64;
    int row_a[small + 1], row_b[small + 1];
    std::vector<int> heap;
    int* prev = row_a;
    int* cur = row_b;
    if (b.size() > small) {
        heap.resize(2 * (b.size() + 1));
        prev = heap.data();
        cur = heap.data() + b.size() + 1;
    }
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = static_cast<int>(i);
        int best = cur[0];
        for (std::size_t j = 1; j <= b.size(); ++j) {
            int sub = prev[j - 1] + (same_char(a[i - 1], b[j - 1], case_sensitive) ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
            best = std::min(best, cur[j]);
        }
        if (best > limit) return limit + 1;  // every later row is at least as large
        std::swap(prev, cur);
    }
    return std::min(prev[b.size()], limit + 1);
}

bool equal_text(std::string_view a, std::string_view b, bool case_sensitive) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!same_char(a[i], b[i], case_sensitive)) return false;
    return true;
}

/// One TextIndexNormalization: its rows as compiled patterns and replacements.
struct Normalization {
    struct Row {
        Regex re;
        std::string replacement;  ///< with $-substitutions ($1 re-inserts the leading blank)
    };
    std::vector<Row> rows;
    bool recursive = false;
    bool tokenize = true;
    Tokenizer tokenizer;
};

class TextIndexExpr final : public Expr {
public:
    int text_slot = -1;
    int text_param = -1;
    ExprPtr term;
    Weights weights = Weights::term_frequency;
    Hits hits = Hits::all;
    bool case_sensitive = false;
    int max_distance = 0;
    Tokenizer tokenizer;
    std::vector<Normalization> norms;
    int text_buffer = -1, term_buffer = -1;

    Value eval(Ctx& ctx) const override {
        Value tv = text_param >= 0 ? ctx.s->frame[ctx.frame_base + static_cast<std::size_t>(text_param)]
                                   : ctx.get(text_slot);
        if (tv.is_missing()) return Value::missing();
        if (!convert(ctx, tv, DataType::string, text_buffer)) return Value::missing();
        std::string& text = ctx.buffer(text_buffer);
        if (tv.text().data() != text.data()) text.assign(tv.text().data(), tv.text().size());
        for (const auto& n : norms) normalize(n, text, ctx.s->regex, ctx.s->regex_text);

        Value term_value = term->eval(ctx);
        if (term_value.is_missing()) return Value::missing();
        if (!convert(ctx, term_value, DataType::string, term_buffer)) return Value::missing();
        std::string_view term_text = term_value.text();

        std::vector<Token> text_tokens, term_tokens;
        if (!tokenizer.tokenize) {
            // Without tokens the term is the only term counted: it is its own highest frequency.
            double n = substring_count(text, term_text);
            return weigh(n, n);
        }
        tokenizer.split(text, text_tokens, ctx.s->regex);
        tokenizer.split(term_text, term_tokens, ctx.s->regex);
        std::size_t k = term_tokens.size();
        double count = 0;
        if (k > 0 && text_tokens.size() >= k) {
            int best = max_distance + 1;
            for (std::size_t i = 0; i + k <= text_tokens.size(); ++i) {
                int d = distance(text, text_tokens.data() + i, term_text, term_tokens.data(), k);
                if (d > max_distance) continue;
                if (hits == Hits::all) {
                    count += 1;
                } else if (d < best) {
                    best = d;
                    count = 1;
                } else if (d == best) {
                    count += 1;
                }
            }
        }
        return weigh(count, weights == Weights::augmented ? max_frequency(text, text_tokens, k) : 0.0);
    }

private:
    /// The local term weight of a count; `most` is the highest frequency of any term in the text.
    Value weigh(double count, double most) const {
        switch (weights) {
            case Weights::term_frequency:
                return Value::number(count);
            case Weights::binary:
                return Value::number(count > 0 ? 1.0 : 0.0);
            case Weights::logarithmic:
                return Value::number(std::log10(1.0 + count));
            case Weights::augmented:
                if (most <= 0) return Value::number(0.0);
                return Value::number(0.5 * ((count > 0 ? 1.0 : 0.0) + count / most));
        }
        return Value::missing();
    }

    /// tokenize="false": non-overlapping occurrences of the term anywhere in the text.
    double substring_count(std::string_view text, std::string_view term_text) const {
        if (term_text.empty()) return 0;
        double n = 0;
        for (std::size_t i = 0; i + term_text.size() <= text.size();) {
            if (equal_text(text.substr(i, term_text.size()), term_text, case_sensitive)) {
                n += 1;
                i += term_text.size();
            } else {
                ++i;
            }
        }
        return n;
    }

    static std::string_view at(std::string_view s, const Token& t) { return s.substr(t.begin, t.size); }

    /// Sum of the tokens' edit distances, or max_distance + 1 when over the limit.
    int distance(std::string_view text, const Token* tt, std::string_view term_text, const Token* qt,
                 std::size_t k) const {
        int sum = 0;
        for (std::size_t j = 0; j < k; ++j) {
            std::string_view a = at(text, tt[j]), b = at(term_text, qt[j]);
            int left = max_distance - sum;
            if (left == 0) {
                if (!equal_text(a, b, case_sensitive)) return max_distance + 1;
                continue;
            }
            sum += levenshtein(a, b, case_sensitive, left);
            if (sum > max_distance) return max_distance + 1;
        }
        return sum;
    }

    /// Orders two tokens by their (case-folded as set) bytes; 0 when equal_text holds.
    int compare_tokens(std::string_view a, std::string_view b) const {
        std::size_t n = std::min(a.size(), b.size());
        for (std::size_t i = 0; i < n; ++i) {
            int x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
            if (!case_sensitive) x = std::tolower(x), y = std::tolower(y);
            if (x != y) return x < y ? -1 : 1;
        }
        return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
    }

    /// The highest count of any k-token sequence in the text (exact matches, case folded as set):
    /// the windows sorted by their text, then the longest run of equal ones. O(w log w) window
    /// comparisons for w windows (comparing every window with every other one was quadratic: a
    /// long text held its thread for minutes).
    double max_frequency(std::string_view text, const std::vector<Token>& tokens, std::size_t k) const {
        if (k == 0 || tokens.size() < k) return 0;
        auto windows = tokens.size() - k + 1;
        auto compare = [&](std::size_t i, std::size_t j) {
            for (std::size_t t = 0; t < k; ++t)
                if (int c = compare_tokens(at(text, tokens[i + t]), at(text, tokens[j + t]))) return c;
            return 0;
        };
        std::vector<std::size_t> order(windows);
        for (std::size_t i = 0; i < windows; ++i) order[i] = i;
        std::sort(order.begin(), order.end(),
                  [&](std::size_t i, std::size_t j) { return compare(i, j) < 0; });
        double most = 1, run = 1;
        for (std::size_t i = 1; i < windows; ++i) {
            run = compare(order[i - 1], order[i]) == 0 ? run + 1 : 1;
            most = std::max(most, run);
        }
        return most;
    }

    static void normalize(const Normalization& n, std::string& text, RegexScratch& scratch,
                          std::string& out) {
        if (n.tokenize) {
            // Re-write the text as its tokens joined by single blanks, so that a row's pattern
            // (anchored on blanks) matches whole tokens.
            std::vector<Token> tokens;
            n.tokenizer.split(text, tokens, scratch);
            std::string joined;
            joined.reserve(text.size());
            for (std::size_t i = 0; i < tokens.size(); ++i) {
                if (i) joined.push_back(' ');
                joined.append(text, tokens[i].begin, tokens[i].size);
            }
            text.swap(joined);
        }
        // A row whose replacement holds its own match grows the text at every recursive pass
        // (64 doublings): past this bound the record fails instead.
        const std::size_t limit = 8 * text.size() + 65536;
        for (int pass = 0; pass < 64; ++pass) {
            bool changed = false;
            for (const auto& row : n.rows) {
                out.clear();
                const RegexStatus status = row.re.replace(text, row.replacement, scratch, out, limit);
                if (status == RegexStatus::too_long)
                    fail("TextIndexNormalization: the replacements grow the text past " +
                         std::to_string(limit) +
                         " bytes (a recursive row whose output contains its own match?)");
                if (status == RegexStatus::too_slow)
                    fail(
                        "TextIndexNormalization: the regular expression of a row takes too long on a "
                        "text of " +
                        std::to_string(text.size()) + " bytes");
                if (out != text) {
                    text.swap(out);
                    changed = true;
                }
            }
            if (!n.recursive || !changed) return;
        }
    }
};

bool flag(Compiler& c, pugi::xml_node n, const char* name, bool fallback) {
    if (!c.has_attr(n, name)) return fallback;
    auto v = c.attr(n, name);
    if (v == "true" || v == "1") return true;
    if (v == "false" || v == "0") return false;
    c.invalid(n, std::string("attribute '") + name + "' = '" + std::string(v) + "' is not a boolean");
}

Regex compile_regex(Compiler& c, pugi::xml_node n, std::string pattern, bool case_sensitive,
                    const char* what) {
    // Python's "(?u)" (Unicode word classes), as scikit-learn writes its token patterns, has no
    // ECMAScript spelling; the classes here are ASCII.
    if (pattern.compare(0, 4, "(?u)") == 0) pattern.erase(0, 4);
    Regex re;
    RegexError err;
    if (!re.compile(pattern, !case_sensitive, err)) {
        std::string msg = std::string("regular expression in ") + what + " '" + pattern + "' at offset " +
                          std::to_string(err.offset) + ": " + err.message;
        if (err.kind == RegexError::Kind::unsupported) c.unsupported(n, msg);
        c.invalid(n, "bad " + msg);
    }
    return re;
}

void read_tokenizer(Compiler& c, pugi::xml_node n, Tokenizer& t, bool case_sensitive, const Tokenizer* parent,
                    const std::string& parent_separator) {
    t.tokenize = flag(c, n, "tokenize", parent ? parent->tokenize : true);
    std::string sep = c.has_attr(n, "wordSeparatorCharacterRE")
                          ? std::string(c.attr(n, "wordSeparatorCharacterRE"))
                          : parent_separator;
    if (c.has_attr(n, "x-wordRE")) {
        t.word_re = true;
        t.re = compile_regex(c, n, std::string(c.attr(n, "x-wordRE")), case_sensitive, "x-wordRE");
    } else if (parent && parent->word_re && !c.has_attr(n, "wordSeparatorCharacterRE")) {
        t.word_re = true;
        t.re = parent->re;
    } else {
        t.re = compile_regex(c, n, sep, true, "wordSeparatorCharacterRE");
        t.blanks = sep == "\\s+" || sep == "\\s";
    }
}

/// Escapes a literal for use inside an ECMAScript pattern.
std::string quote_regex(std::string_view s) {
    std::string out;
    for (char ch : s) {
        if (std::strchr("\\^$.|?*+()[]{}", ch)) out.push_back('\\');
        out.push_back(ch);
    }
    return out;
}

/// Escapes '$' in a replacement text ($-substitutions give it a meaning).
std::string quote_replacement(std::string_view s) {
    std::string out;
    for (char ch : s) {
        if (ch == '$') out.push_back('$');
        out.push_back(ch);
    }
    return out;
}

}  // namespace

ExprPtr compile_text_index(Compiler& c, pugi::xml_node n, Scope& scope, int depth) {
    auto e = std::make_unique<TextIndexExpr>();
    e->type = DataType::double_;
    auto target = c.resolve(scope, c.required(n, "textField"), n);
    e->text_slot = target.slot;
    e->text_param = target.param;
    auto w = c.attr(n, "localTermWeights");
    if (w.empty() || w == "termFrequency")
        e->weights = Weights::term_frequency;
    else if (w == "binary")
        e->weights = Weights::binary;
    else if (w == "logarithmic")
        e->weights = Weights::logarithmic;
    else if (w == "augmentedNormalizedTermFrequency")
        e->weights = Weights::augmented;
    else
        c.invalid(n, "unknown localTermWeights '" + std::string(w) + "'");
    auto h = c.attr(n, "countHits");
    if (h.empty() || h == "allHits")
        e->hits = Hits::all;
    else if (h == "bestHits")
        e->hits = Hits::best;
    else
        c.invalid(n, "unknown countHits '" + std::string(h) + "'");
    e->case_sensitive = flag(c, n, "isCaseSensitive", false);
    long dist = c.integer(n, "maxLevenshteinDistance", 0);
    if (dist < 0 || dist > 1000) c.invalid(n, "maxLevenshteinDistance must be between 0 and 1000");
    e->max_distance = static_cast<int>(dist);
    // PMML 4.4 changed the default separator from "\s" to "\s+"; empty tokens are dropped, so the
    // two split alike.
    const std::string separator = "\\s+";
    read_tokenizer(c, n, e->tokenizer, e->case_sensitive, nullptr, separator);
    std::string parent_separator = c.has_attr(n, "wordSeparatorCharacterRE")
                                       ? std::string(c.attr(n, "wordSeparatorCharacterRE"))
                                       : separator;
    if (!e->tokenizer.tokenize && e->max_distance > 0)
        c.unsupported(n, "maxLevenshteinDistance with tokenize=\"false\" is not supported");

    pugi::xml_node term_node;
    for (auto k : n.children()) {
        if (k.type() != pugi::node_element) continue;
        auto kn = Compiler::name_of(k);
        if (kn == "Extension") continue;
        if (kn == "TextIndexNormalization") {
            if (term_node) c.parse_fail(k, "TextIndexNormalization after the term expression");
            Normalization norm;
            bool cs = flag(c, k, "isCaseSensitive", e->case_sensitive);
            if (c.integer(k, "maxLevenshteinDistance", 0) != 0)
                c.unsupported(k, "maxLevenshteinDistance on a TextIndexNormalization is not supported");
            norm.recursive = flag(c, k, "recursive", false);
            read_tokenizer(c, k, norm.tokenizer, cs, &e->tokenizer, parent_separator);
            norm.tokenize = norm.tokenizer.tokenize;
            std::string in_col(
                Compiler::local_name(c.has_attr(k, "inField") ? c.attr(k, "inField") : "string"));
            std::string out_col(
                Compiler::local_name(c.has_attr(k, "outField") ? c.attr(k, "outField") : "stem"));
            std::string re_col(
                Compiler::local_name(c.has_attr(k, "regexField") ? c.attr(k, "regexField") : "regex"));
            auto table = Compiler::child(k, "InlineTable");
            if (!table) {
                if (Compiler::child(k, "TableLocator")) c.unsupported(k, "TableLocator is not supported");
                continue;  // no table: nothing to replace
            }
            for (auto row : Compiler::children(table, "row")) {
                std::string in, out, is_re;
                bool has_in = false, has_out = false;
                for (auto cell : row.children()) {
                    if (cell.type() != pugi::node_element) continue;
                    auto cn = Compiler::name_of(cell);
                    if (cn == in_col) in = cell.child_value(), has_in = true;
                    if (cn == out_col) out = cell.child_value(), has_out = true;
                    if (cn == re_col) is_re = cell.child_value();
                }
                if (!has_in || !has_out)
                    c.parse_fail(row, "row without its '" + in_col + "' and '" + out_col + "' cells");
                bool regex = is_re == "true" || is_re == "1";
                std::string pattern = regex ? in : quote_regex(in);
                Normalization::Row r;
                if (norm.tokenize) {
                    // Whole tokens only: start of text or a blank before, end of text or a blank after.
                    r.re = compile_regex(c, row, "(^| )(?:" + pattern + ")(?= |$)", cs,
                                         "TextIndexNormalization");
                    r.replacement = "$1" + quote_replacement(out);
                } else {
                    r.re = compile_regex(c, row, pattern, cs, "TextIndexNormalization");
                    r.replacement = quote_replacement(out);
                }
                norm.rows.push_back(std::move(r));
            }
            e->norms.push_back(std::move(norm));
            continue;
        }
        if (!Compiler::is_expression(kn)) c.parse_fail(k, "<" + std::string(kn) + "> is not an expression");
        if (term_node) c.parse_fail(k, "TextIndex holds more than one term expression");
        term_node = k;
    }
    if (!term_node) c.parse_fail(n, "TextIndex without a term expression");
    e->term = c.expression(term_node, scope, depth + 1);
    e->text_buffer = c.prog.layout.add_buffer();
    e->term_buffer = c.prog.layout.add_buffer();
    return e;
}

}  // namespace scorestream::pmml::detail
