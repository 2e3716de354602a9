// The PMML regular-expression engine (src/pmml/regex.hpp): differential checks against std::regex
// (ECMAScript) on short inputs, hand-written cases per construct, refused patterns, and inputs long
// enough to overflow the stack of a recursive matcher.

#include "regex.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <string>
#include <vector>

using scorestream::pmml::detail::Regex;
using scorestream::pmml::detail::RegexError;
using scorestream::pmml::detail::RegexScratch;
using scorestream::pmml::detail::RegexSpan;

namespace {

Regex compiled(const std::string& pattern, bool icase = false) {
    Regex re;
    RegexError err;
    INFO("pattern " << pattern << ": " << err.message);
    bool ok = re.compile(pattern, icase, err);
    INFO("error: " << err.message);
    REQUIRE(ok);
    return re;
}

RegexError refusal(const std::string& pattern) {
    Regex re;
    RegexError err;
    CHECK_FALSE(re.compile(pattern, false, err));
    return err;
}

/// "begin,end" of every group of the first match, "-" for a group that did not take part.
std::string spans_text(const std::vector<RegexSpan>& spans) {
    std::string out;
    for (const auto& s : spans) {
        if (!out.empty()) out += ' ';
        out += s.matched() ? std::to_string(s.begin) + "," + std::to_string(s.end) : "-";
    }
    return out;
}

std::string first_match(const Regex& re, const std::string& text) {
    RegexScratch scratch;
    std::vector<RegexSpan> spans(re.groups());
    if (!re.search(text, 0, scratch, spans.data(), spans.size())) return "none";
    return spans_text(spans);
}

std::string oracle_first(const std::regex& re, const std::string& text) {
    std::smatch m;
    if (!std::regex_search(text, m, re)) return "none";
    std::vector<RegexSpan> spans(m.size());
    for (std::size_t g = 0; g < m.size(); ++g)
        if (m[g].matched)
            spans[g] = {static_cast<std::size_t>(m.position(g)),
                        static_cast<std::size_t>(m.position(g) + m.length(g))};
    return spans_text(spans);
}

/// All matches, ECMAScript global order, every group.
std::string all_matches(const Regex& re, const std::string& text) {
    RegexScratch scratch;
    std::vector<RegexSpan> spans(re.groups());
    std::string out;
    re.for_each(text, scratch, spans.data(), spans.size(), [&](const RegexSpan* s) {
        out += "[" + spans_text(std::vector<RegexSpan>(s, s + spans.size())) + "]";
        return true;
    });
    return out;
}

/// The same with std::regex finding each match (searches resumed with the preceding text
/// visible, next start one past an empty match, as ECMAScript's global flag does).
std::string oracle_all(const std::regex& re, const std::string& text) {
    std::string out;
    std::size_t at = 0;
    while (at <= text.size()) {
        std::smatch m;
        auto flags = at > 0 ? std::regex_constants::match_prev_avail : std::regex_constants::match_default;
        if (!std::regex_search(text.cbegin() + static_cast<std::ptrdiff_t>(at), text.cend(), m, re, flags))
            break;
        std::vector<RegexSpan> spans(m.size());
        for (std::size_t g = 0; g < m.size(); ++g)
            if (m[g].matched)
                spans[g] = {at + static_cast<std::size_t>(m.position(g)),
                            at + static_cast<std::size_t>(m.position(g) + m.length(g))};
        out += "[" + spans_text(spans) + "]";
        at = spans[0].end == spans[0].begin ? spans[0].end + 1 : spans[0].end;
    }
    return out;
}

std::string replaced(const Regex& re, const std::string& text, const std::string& format) {
    RegexScratch scratch;
    std::string out;
    re.replace(text, format, scratch, out);
    return out;
}

std::vector<std::string> short_inputs() {
    std::vector<std::string> in = {"",
                                   "A",
                                   "Ab",
                                   "aB c",
                                   "x1_y",
                                   "12 34",
                                   "a\nb",
                                   "a\rb",
                                   "foo bar",
                                   "foo.bar",
                                   "c++ x",
                                   "Hello, World!",
                                   "aaaabbbb",
                                   "abcabc",
                                   "  lead trail ",
                                   "a-b c\td",
                                   "color colour",
                                   "AbC aBc",
                                   "x=1;y=22",
                                   "(a)[b]{c}",
                                   "a.b*c+d?",
                                   "\x01\x7f\xc3\xa9",
                                   "path/to\\file",
                                   "$1 $&"};
    // Every string over {a, b, c} up to length 4.
    std::vector<std::string> level = {""};
    for (int len = 1; len <= 4; ++len) {
        std::vector<std::string> next;
        for (const auto& s : level)
            for (char ch : std::string("abc")) next.push_back(s + ch);
        in.insert(in.end(), next.begin(), next.end());
        level = std::move(next);
    }
    return in;
}

/// Patterns on which std::regex is a faithful ECMAScript oracle (see the hand-written cases for
/// the places where libstdc++ departs from ECMAScript).
const char* const differential_patterns[] = {
    "a",
    "abc",
    "a|b",
    "ab|ac",
    "a|ab",
    "ab|a",
    "a*",
    "a+",
    "a?",
    "a*?",
    "a+?",
    "a??",
    "(a)",
    "(a)(b)?",
    "(a|b)*",
    "(a|b)*c",
    "(a|b)+?c",
    "(a*)b",
    "(a*?)b",
    "(a+)(a+)",
    "(a+?)(a+)",
    "(a*)(a*)",
    "(a*?)(a*)",
    "a{2}",
    "a{2,}",
    "a{1,2}",
    "a{0,2}b",
    "a{2,3}?",
    "(ab){1,2}",
    "(?:ab)+",
    "(?:a|b){2}c",
    "(a|ab)(c|bcd)?",
    "(a|b|c)*?c",
    ".",
    ".+",
    ".*c",
    "a.c",
    "[abc]",
    "[^abc]",
    "[a-c]+",
    "[^a-b]+",
    "[\\w]+",
    "[\\s\\-]+",
    "[\\d.]+",
    "[.*+?]",
    "[a\\-z]",
    "[\\]a]",
    "\\d+",
    "\\D+",
    "\\w+",
    "\\W+",
    "\\s+",
    "\\S+",
    "\\s",
    "\\bfoo\\b",
    "\\b\\w\\w+\\b",
    "\\Bb",
    "b\\B",
    "^a",
    "a$",
    "^$",
    "^abc$",
    "^(a|b)*$",
    "^\\s+|\\s+$",
    "x*",
    "(x)*",
    "(?:)",
    "()",
    "(|a)",
    "(a|)",
    "(?=a)",
    "(?=a)ab",
    "(?!a)\\w",
    "a(?=b)",
    "a(?!b)",
    "(^| )(?:ab|c)(?= |$)",
    "(?=(a))",
    "\\.",
    "\\*\\+\\?",
    "\\(\\)",
    "\\[\\]",
    "\\{\\}",
    "\\|",
    "\\^\\$",
    "\\\\",
    "\\t|\\n",
    "\\x61",
    "\\u0062",
    "\\x41\\x42",
    "colou?rs?",
    "is|are|seem(ed|s?)|were",
    "user friendl(y|iness)",
    "c\\+\\+",
    "[0-9]+",
    "^a.c$",
    "(\\w+)=(\\d+)",
    "(\\w)(\\w)?(\\w)?",
    "(a(b(c)))",
    "(?:(a)|b)c",
    "a{0}",
    "(a){0}b",
    "a{1}b{0,1}",
    "\\b",
    "\\B",
    "$",
    "^",
    "[^\\s]+",
    "[\\S]",
    "[\\W\\d]",
    "[A-Za-z_][A-Za-z0-9_]*",
    "(\\d{2})+",
    "(\\.\\d+)?",
    "b*(a|b)",
    "(a|b)c|ab",
    "(?:a(?=b)|\\w)+",
    "(?!ab)[abc]+",
};

}  // namespace

TEST_CASE("regex: first match and groups agree with std::regex on short inputs", "[pmml][regex]") {
    auto inputs = short_inputs();
    for (const char* pattern : differential_patterns) {
        for (bool icase : {false, true}) {
            Regex re = compiled(pattern, icase);
            auto flags = std::regex::ECMAScript;
            if (icase) flags |= std::regex::icase;
            std::regex oracle(pattern, flags);
            REQUIRE(re.groups() == oracle.mark_count() + 1);
            for (const auto& text : inputs) {
                INFO("pattern /" << pattern << "/" << (icase ? "i" : "") << " on \"" << text << "\"");
                CHECK(first_match(re, text) == oracle_first(oracle, text));
                CHECK(all_matches(re, text) == oracle_all(oracle, text));
            }
        }
    }
}

TEST_CASE("regex: replace agrees with std::regex_replace where their iteration agrees", "[pmml][regex]") {
    auto inputs = short_inputs();
    for (const char* pattern : differential_patterns) {
        Regex re = compiled(pattern);
        std::regex oracle(pattern);
        // Not $`: libstdc++ takes the text since the previous match, ECMAScript the whole prefix.
        std::vector<std::string> formats = {"<$&>", "$$", "[$']", "", "x"};
        if (re.groups() > 1) formats.push_back("{$1}");
        for (const auto& text : inputs) {
            // libstdc++ retries a non-empty match where an empty one was found; ECMAScript
            // moves on. Compare where no empty match occurs.
            bool empty_match = false;
            RegexScratch scratch;
            RegexSpan span;
            re.for_each(text, scratch, &span, 1, [&](const RegexSpan* s) {
                empty_match |= s[0].begin == s[0].end;
                return true;
            });
            if (empty_match) continue;
            for (const auto& f : formats) {
                INFO("pattern /" << pattern << "/ on \"" << text << "\" with \"" << f << "\"");
                CHECK(replaced(re, text, f) == std::regex_replace(text, oracle, f));
            }
        }
    }
}

TEST_CASE("regex: constructs by hand", "[pmml][regex]") {
    // Greedy and lazy.
    CHECK(first_match(compiled("<.+>"), "<a><b>") == "0,6");
    CHECK(first_match(compiled("<.+?>"), "<a><b>") == "0,3");
    CHECK(first_match(compiled("a{2,3}"), "aaaa") == "0,3");
    CHECK(first_match(compiled("a{2,3}?"), "aaaa") == "0,2");
    // Leftmost wins over longest; the first alternative wins at a position.
    CHECK(first_match(compiled("a|ab"), "xab") == "1,2");
    CHECK(first_match(compiled("b|ab"), "xab") == "1,3");
    // Captures: last iteration, and reset at each iteration (ECMAScript).
    CHECK(first_match(compiled("(a|b)+"), "abba") == "0,4 3,4");
    // (libstdc++ keeps the older captures in both.)
    CHECK(first_match(compiled("(?:(a)|b)+"), "ab") == "0,2 -");
    CHECK(first_match(compiled("((a)|b)+"), "ab") == "0,2 1,2 -");
    // An iteration beyond the minimum that matches empty ends the repetition (ECMAScript).
    CHECK(first_match(compiled("(a|)+"), "ab") == "0,1 0,1");
    CHECK(first_match(compiled("(z)?a"), "a") == "0,1 -");
    // Empty matches and the global advance.
    CHECK(all_matches(compiled("x*"), "axb") == "[0,0][1,2][2,2][3,3]");
    CHECK(all_matches(compiled("|a"), "a") == "[0,0][1,1]");
    // Anchors: ^ and $ only at the ends of the text; \b sees the text before the search start.
    CHECK(first_match(compiled("^b"), "ab") == "none");
    CHECK(first_match(compiled("a$"), "a\n") == "none");
    {
        Regex re = compiled("\\bb");
        RegexScratch s;
        RegexSpan sp;
        CHECK_FALSE(re.search("ab", 1, s, &sp, 1));
        CHECK(re.search("a b", 1, s, &sp, 1));
        CHECK(sp.begin == 2);
    }
    // Escapes.
    CHECK(first_match(compiled("\\t\\n\\r\\f\\v"), "x\t\n\r\f\v") == "1,6");
    CHECK(first_match(compiled("\\0"), std::string("a\0b", 3)) == "1,2");
    CHECK(first_match(compiled("\\x41\\u0042"), "zAB") == "1,3");
    CHECK(first_match(compiled("[\\b]"), "a\bb") == "1,2");
    CHECK(first_match(compiled("[\\x30-\\x39]+"), "ab123") == "2,5");
    CHECK(first_match(compiled("[]"), "abc") == "none");
    CHECK(first_match(compiled("[^]"), "\n") == "0,1");
    // '.' excludes line terminators only; bytes >= 0x80 are characters.
    CHECK(first_match(compiled("a.b"),
                      "a\nb a\rb a\xc3"
                      "b") == "8,11");
    CHECK(first_match(compiled("a.b"),
                      "a\xffz a\x80"
                      "b") == "4,7");
    // Case folding is ASCII, classes included, negated classes folded before negation.
    CHECK(first_match(compiled("[a-c]+", true), "xAbC") == "1,4");
    CHECK(first_match(compiled("[^a]", true), "Ab") == "1,2");
    CHECK(first_match(compiled("\xc3\xa9", true), "\xc3\x89\xc3\xa9") == "2,4");
    // Lookahead, with captures kept from a positive one and none from a negative one.
    CHECK(first_match(compiled("(?=(\\w+))a"), "ab") == "0,1 0,2");
    CHECK(first_match(compiled("(?!(b))a"), "ab") == "0,1 -");
    CHECK(first_match(compiled("\\w+(?=!)"), "hey you!") == "4,7");
    CHECK(first_match(compiled("(?=a(?=b))\\w"), "aab") == "1,2");
    // The TextIndexNormalization shape: whole blank-separated tokens.
    CHECK(replaced(compiled("(^| )(?:is|are)(?= |$)"), "this is are island", "$1be") == "this be be island");
}

TEST_CASE("regex: lookahead results, nested, at the end, negative, with captures", "[pmml][regex]") {
    // Each lookahead is a table over the positions of the text (see regex.hpp): these are the
    // answers of the VM that ran a nested match at every position where a thread reached it.
    CHECK(all_matches(compiled("(?=.*x)a"), "aax a") == "[0,1][1,2]");
    CHECK(all_matches(compiled("(?=a*x)"), "aaxa") == "[0,0][1,1][2,2]");
    CHECK(first_match(compiled("(?=a*x)"), "aaaa") == "none");
    // Nested, up to four deep.
    CHECK(first_match(compiled("(?=a(?=b))\\w"), "aab") == "1,2");
    CHECK(all_matches(compiled("(?=\\w(?=\\w(?=\\w(?=x))))\\w"), "abcxdefx") == "[0,1][4,5]");
    CHECK(first_match(compiled("(?=(a)(?=(b)))"), "ab") == "0,0 0,1 1,2");
    // At the end of the text.
    CHECK(first_match(compiled("b(?=$)"), "abab") == "3,4");
    CHECK(all_matches(compiled("(?!.)"), "ab") == "[2,2]");
    CHECK(first_match(compiled("a(?=b?$)"), "aab") == "1,2");
    CHECK(all_matches(compiled("x(?=)"), "ax") == "[1,2]");
    // Negative, and negative inside negative.
    CHECK(first_match(compiled("(?!ab)a"), "abac") == "2,3");
    CHECK(all_matches(compiled("(?!a(?!b))\\w"), "acab") == "[1,2][2,3][3,4]");
    CHECK(first_match(compiled("(?!(a))\\w(?=(b))"), "cab") == "none");
    CHECK(first_match(compiled("(?!(a))\\w(?=(b))"), "cb") == "0,1 - 1,2");
    // Captures of a positive lookahead: the highest-priority match of its body, per position.
    CHECK(all_matches(compiled("(?=(a+))a"), "baa") == "[1,2 1,3][2,3 2,3]");
    CHECK(all_matches(compiled("x(?=(y)|(z))"), "xzxy") == "[0,1 - 1,2][2,3 3,4 -]");
    CHECK(all_matches(compiled("(?=(\\w)\\w*(\\d)#)\\w"), "ab1c2#d3#") ==
          "[0,1 0,1 4,5][1,2 1,2 4,5][2,3 2,3 4,5][3,4 3,4 4,5][6,7 6,7 7,8]");
    // A loop that can match empty inside the lookahead: an empty iteration ends it.
    CHECK(all_matches(compiled("(?=((?:a|)*)b)"), "aab") == "[0,0 0,2][1,1 1,2][2,2 2,2]");
    CHECK(all_matches(compiled("(?=((a|)+)b)\\w"), "aab") == "[0,1 0,2 1,2][1,2 1,2 1,2][2,3 2,2 2,2]");
    // replace with a lookahead.
    CHECK(replaced(compiled("\\B(?=(\\d{3})+$)"), "1234567", ",") == "1,234,567");
    CHECK(replaced(compiled("(?=(\\w))"), "ab", "[$1]") == "[a]a[b]b");
    CHECK(replaced(compiled("(?=.*x)a"), "aax a", "<$&>") == "<a><a>x a");
    CHECK(replaced(compiled("(?=((?:a|)*)b)"), "aab", "[$1]") == "[aa]a[a]a[]b");
    CHECK(replaced(compiled("(?=(\\w)\\w*(\\d)#)\\w"), "ab1c2#d3#", "$2") == "22222#33#");
    // A search started inside the text sees the lookahead tables of that text only.
    {
        Regex re = compiled("(?=(a*)x)");
        RegexScratch scratch;
        RegexSpan spans[2];
        REQUIRE(re.search("aaxaax", 3, scratch, spans, 2));
        CHECK(spans[0].begin == 3);
        CHECK(spans[1].end == 5);
        REQUIRE(re.search("aaaax", 1, scratch, spans, 2));
        CHECK(spans[1].begin == 1);
        CHECK(spans[1].end == 4);
        CHECK_FALSE(re.search("aaaa", 0, scratch, spans, 2));
    }
}

TEST_CASE("regex: replacement patterns follow ECMAScript's GetSubstitution", "[pmml][regex]") {
    Regex re = compiled("(b)(c)?");
    CHECK(replaced(re, "abcd", "[$&|$1|$2|$`|$'|$$]") == "a[bc|b|c|a|d|$]d");
    CHECK(replaced(re, "abd", "[$2]") == "a[]d");          // a group that did not take part: empty
    CHECK(replaced(re, "abd", "$0$3$x$") == "a$0$3$x$d");  // not groups of this pattern: literal
    CHECK(replaced(re, "abd", "$10") == "ab0d");           // $1 then '0': there is no group 10
    Regex many = compiled("(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(b)");
    CHECK(replaced(many, "aaaaaaaaaab", "$11$10$1") == "baa");
}

TEST_CASE("regex: malformed patterns and refused constructs", "[pmml][regex]") {
    using Kind = RegexError::Kind;
    struct Case {
        const char* pattern;
        Kind kind;
        const char* says;
    };
    const Case cases[] = {
        {"(a", Kind::malformed, "')'"},
        {"a)", Kind::malformed, "unmatched ')'"},
        {"[a", Kind::malformed, "']'"},
        {"*a", Kind::malformed, "nothing to repeat"},
        {"a**", Kind::malformed, "quantifier after a quantifier"},
        {"a{3,2}", Kind::malformed, "m < n"},
        {"a{", Kind::malformed, "repetition"},
        {"{2}", Kind::malformed, "'{'"},
        {"[z-a]", Kind::malformed, "out of order"},
        {"a\\", Kind::malformed, "end of the pattern"},
        {"\\x4", Kind::malformed, "hexadecimal"},
        {"^*", Kind::malformed, "nothing to repeat"},
        {"(a)\\1", Kind::unsupported, "backreference '\\1'"},
        {"(?<=a)b", Kind::unsupported, "lookbehind"},
        {"(?<!a)b", Kind::unsupported, "lookbehind"},
        {"(?<n>a)", Kind::unsupported, "named group"},
        {"(?P<n>a)", Kind::unsupported, "named group"},
        {"(?i)a", Kind::unsupported, "inline flags"},
        {"\\p{L}", Kind::unsupported, "Unicode property"},
        {"\\k<n>", Kind::unsupported, "named backreference"},
        {"\\cA", Kind::unsupported, "control escape"},
        {"\\A", Kind::unsupported, "escape '\\A'"},
        {"\\u00e9", Kind::unsupported, "non-ASCII"},
        {"[[:alpha:]]", Kind::unsupported, "POSIX"},
        {"(a{1000}){1000}", Kind::unsupported, "too large"},
        {"a{1000000000}", Kind::unsupported, "too large"},
        {"((((a{100}){100}){100}){100})", Kind::unsupported, "too large"},
    };
    for (const auto& c : cases) {
        INFO("pattern " << c.pattern);
        RegexError err = refusal(c.pattern);
        CHECK(err.kind == c.kind);
        CHECK_THAT(err.message, Catch::Contains(c.says));
    }
    std::string deep;
    for (int i = 0; i < 200; ++i) deep += "(?:";
    deep += "a" + std::string(200, ')');
    RegexError err = refusal(deep);
    CHECK(err.kind == Kind::unsupported);
    CHECK_THAT(err.message, Catch::Contains("nested"));
    std::string groups;
    for (int i = 0; i < 100; ++i) groups += "(a)";
    CHECK_THAT(refusal(groups).message, Catch::Contains("capturing groups"));
    CHECK(refusal("ab(?<x>c)").offset == 2);
    CHECK(compiled("(?=a(?=a(?=a(?=a))))a").groups() == 1);
    CHECK_THAT(refusal("(?=a(?=a(?=a(?=a(?=a)))))").message, Catch::Contains("lookahead nested"));
}

TEST_CASE("regex: a megabyte of text neither recurses nor slows to a crawl", "[pmml][regex]") {
    const std::size_t n = 1 << 20;
    std::string as(n, 'a');
    RegexScratch scratch;
    RegexSpan spans[2];
    {
        Regex re = compiled("(a|b)*c");
        CHECK_FALSE(re.search(as, 0, scratch, spans, 2));
        std::string text = as + "c";
        REQUIRE(re.search(text, 0, scratch, spans, 2));
        CHECK(spans[0].begin == 0);
        CHECK(spans[0].end == n + 1);
        CHECK(spans[1].begin == n - 1);
    }
    {
        Regex re = compiled("\\w+");
        REQUIRE(re.search(as, 0, scratch, spans, 1));
        CHECK(spans[0].end == n);
        std::string words;
        for (std::size_t i = 0; words.size() < n; ++i) words += "word" + std::to_string(i % 10) + ' ';
        std::size_t count = 0;
        re.for_each(words, scratch, spans, 1, [&](const RegexSpan*) { return ++count, true; });
        CHECK(count == words.size() / 6);
        std::string out;
        compiled("(\\w+) ").replace(words, "$1,", scratch, out);
        CHECK(out.size() == words.size());
        CHECK(out.substr(0, 12) == "word0,word1,");
    }
}

TEST_CASE("regex: lookaheads over a megabyte stay linear", "[pmml][regex]") {
    // No timing here: a matcher that re-ran a lookahead's body at every position would take hours
    // on these (about 10^12 steps), which the test's timeout catches.
    const std::size_t n = 1 << 20;
    const std::string as(n, 'a');
    const std::string asx = as + "x";
    RegexScratch scratch;
    RegexSpan spans[3];
    {
        Regex re = compiled("(?=.*x)a");
        CHECK_FALSE(re.contains(as, scratch));
        REQUIRE(re.search(asx, 0, scratch, spans, 1));
        CHECK(spans[0].begin == 0);
        CHECK(spans[0].end == 1);
        std::size_t count = 0;
        re.for_each(asx, scratch, spans, 1, [&](const RegexSpan*) { return ++count, true; });
        CHECK(count == n);
        std::string out;
        re.replace(asx, "b", scratch, out);
        CHECK(out == std::string(n, 'b') + "x");
    }
    {
        Regex re = compiled("(?=a*x)");
        CHECK_FALSE(re.contains(as, scratch));
        CHECK_FALSE(re.search(as, 0, scratch, spans, 1));
        REQUIRE(re.search(asx, 0, scratch, spans, 1));
        CHECK(spans[0].end == 0);
        std::size_t count = 0;
        re.for_each(asx, scratch, spans, 1, [&](const RegexSpan*) { return ++count, true; });
        CHECK(count == n + 1);  // before every 'a' and before the x
    }
    {
        // Four nested lookaheads, each scanning to the end of the text.
        Regex re = compiled("(?=.*(?=.*(?=.*(?=.*x))))a");
        CHECK_FALSE(re.contains(as, scratch));
        std::string out;
        re.replace(asx, "b", scratch, out);
        CHECK(out == std::string(n, 'b') + "x");
        CHECK_FALSE(compiled("(?=a(?=a*(?=a*(?=a*x))))").contains(as, scratch));
    }
    {
        // Captures of a lookahead at every position (kept a block at a time), also through a loop
        // that can match empty.
        for (const char* pattern : {"(?=(a*)(x))a", "(?=((?:a|)*)(x))a"}) {
            INFO(pattern);
            Regex re = compiled(pattern);
            REQUIRE(re.search(asx, 0, scratch, spans, 3));
            CHECK(spans[1].begin == 0);
            CHECK(spans[1].end == n);
            CHECK(spans[2].begin == n);
            std::size_t count = 0;
            bool right = true;
            re.for_each(asx, scratch, spans, 3, [&](const RegexSpan* s) {
                right = right && s[1].begin == count && s[1].end == n && s[2].begin == n;
                return ++count, true;
            });
            CHECK(count == n);
            CHECK(right);
        }
        // Segments of words ending in a digit before '#': every word character becomes that digit.
        std::string text, expected;
        for (std::size_t i = 0; text.size() < n; ++i) {
            std::string word(1 + i % 97, static_cast<char>('a' + i % 26));
            char digit = static_cast<char>('0' + i % 10);
            text += word + digit + '#';
            expected += std::string(word.size() + 1, digit) + '#';
        }
        std::string out;
        compiled("(?=\\w*(\\d)#)\\w").replace(text, "$1", scratch, out);
        CHECK(out == expected);
        out.clear();
        compiled("(?=(?:\\w|)*(\\d)#)\\w").replace(text, "$1", scratch, out);
        CHECK(out == expected);
    }
}

TEST_CASE("regex: repeated searches that rescan the text are capped; ordinary ones never are",
          "[pmml][regex]") {
    using scorestream::pmml::detail::RegexStatus;
    RegexScratch scratch;
    RegexSpan spans[3];
    const std::size_t n = 1 << 20;
    // Each search finds a one-byte match but scans on to the end of the text while the
    // higher-priority branch lives, and the next search starts one byte later: n^2 / 2 steps.
    // Leftmost-first needs that scan; the searches of one for_each stop at work_budget().
    for (const auto& [pattern, text] :
         {std::pair<const char*, std::string>{"a*b|a", std::string(n, 'a')},
          {"\\w+x|\\w", std::string(n, 'w')},
          {"(?:a|b)*c|[ab]", std::string(n / 2, 'a') + std::string(n / 2, 'b')}}) {
        INFO(pattern);
        Regex re = compiled(pattern);
        std::string out;
        CHECK(re.replace(text, "x", scratch, out) == RegexStatus::too_slow);
        // Below the budget the same pattern gives the full answer.
        const std::string small = text.substr(0, 1000) + "b";
        out.clear();
        CHECK(re.replace(small, "<$&>", scratch, out) == RegexStatus::done);
        CHECK(out == std::regex_replace(small, std::regex(pattern), "<$&>"));
    }
    {
        // for_each reports it too, after the matches it has found (all of them right).
        Regex re = compiled("a*b|a");
        const std::string as(n / 4, 'a');
        std::size_t count = 0;
        bool right = true;
        CHECK(re.for_each(as, scratch, spans, 1, [&](const RegexSpan* s) {
            right = right && s[0].begin == count && s[0].end == count + 1;
            return ++count, true;
        }) == RegexStatus::too_slow);
        CHECK(right);
        CHECK(count > 0);
        CHECK(count < as.size());
        // The budget belongs to one for_each: the next one on a short text is whole again, and a
        // single search is never capped.
        count = 0;
        CHECK(re.for_each(as.substr(0, 100), scratch, spans, 1,
                          [&](const RegexSpan*) { return ++count, true; }) == RegexStatus::done);
        CHECK(count == 100);
        REQUIRE(re.search(as + "b", 0, scratch, spans, 1));
        CHECK(spans[0].end == as.size() + 1);
        CHECK(re.contains(as, scratch));
    }
    {
        // Ordinary patterns on megabyte texts: the same results as std::regex, never capped.
        std::string words, numbers, digits;
        for (std::size_t i = 0; words.size() < n; ++i) {
            words += "word" + std::to_string(i % 1000) + (i % 7 == 0 ? "  \t" : " ") + "ab aab x";
            numbers += std::to_string(i) + "-" + std::to_string(i * 7 % 1000) + (i % 3 ? " " : "--");
            digits += std::string(1 + i % 13, static_cast<char>('a' + i % 26)) + std::to_string(i % 10) + "#";
        }
        struct Case {
            const char* pattern;
            const std::string& text;
            const char* format;
        };
        for (const Case& c : {Case{"\\s+", words, "_"}, Case{"[aeiou]", words, "<$&>"},
                              Case{"(\\d+)-(\\d+)", numbers, "$2:$1"},
                              Case{"a*b|a", words, "[$&]"},  // short runs of a: no real rescanning
                              Case{"\\w+x|\\w", words, "."}, Case{"\\b\\w+\\b", words, "($&)"},
                              Case{"\\w(?=\\w*\\d#)", digits, "-"}, Case{"(?!\\d)\\w+", digits, "$&$&"}}) {
            INFO(c.pattern);
            Regex re = compiled(c.pattern);
            std::string out;
            CHECK(re.replace(c.text, c.format, scratch, out) == RegexStatus::done);
            CHECK(out == std::regex_replace(c.text, std::regex(c.pattern), c.format));
        }
    }
}
