// TextIndex and TextIndexNormalization, and namespaced InlineTable cells. No corpus case covers
// them: the texts are short enough that every expected count is worked out by hand in a comment.

#include "pmml_test_util.hpp"

#include <scorestream/error.hpp>

#include <cmath>
#include <deque>

using namespace scorestream;
using pmml_test::document;
using pmml_test::load_error;

namespace {

const std::string dict =
    "<DataField name=\"doc\" optype=\"categorical\" dataType=\"string\"/>\n"
    "<DataField name=\"word\" optype=\"categorical\" dataType=\"string\"/>\n"
    "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n";

/// A model whose output "d" is a derived field with the given expression (over doc and word).
std::string model_with(const std::string& expr, const std::string& functions = "",
                       const std::string& type = "double") {
    std::string body =
        functions.empty() ? "" : "<TransformationDictionary>" + functions + "</TransformationDictionary>\n";
    body +=
        "<RegressionModel functionName=\"regression\">\n<MiningSchema><MiningField name=\"doc\"/>"
        "<MiningField name=\"word\"/><MiningField name=\"y\" usageType=\"predicted\"/></MiningSchema>\n"
        "<Output><OutputField name=\"d\" feature=\"transformedValue\" dataType=\"" +
        type +
        "\"><FieldRef field=\"t\"/></OutputField></Output>\n"
        "<LocalTransformations><DerivedField name=\"t\" optype=\"continuous\" dataType=\"" +
        type + "\">\n" + expr +
        "\n</DerivedField></LocalTransformations>\n"
        "<RegressionTable intercept=\"0\"/></RegressionModel>\n";
    return document(dict, body, "4.4");
}

Value eval(const std::string& expr, std::initializer_list<pmml_test::In> in,
           const std::string& functions = "", const std::string& type = "double") {
    static std::deque<std::pair<pmml::PmmlModelPtr, Prediction>> keep;  // strings live in the scratch
    auto m = pmml::load(model_with(expr, functions, type));
    keep.emplace_back(m, pmml_test::score(*m, in));
    const auto& p = keep.back().second;
    INFO(p.error);
    REQUIRE(p.ok());
    return p.outputs.at(0);
}

double num(const std::string& expr, std::initializer_list<pmml_test::In> in,
           const std::string& functions = "") {
    auto v = eval(expr, in, functions);
    INFO(expr << " -> " << to_string(v));
    REQUIRE(v.is_number());
    return v.as_number();
}

std::string text_index(const std::string& attrs, const std::string& term, const std::string& inner = "") {
    return "<TextIndex textField=\"doc\" " + attrs + ">" + inner + "<Constant dataType=\"string\">" + term +
           "</Constant></TextIndex>";
}

const char* fox_text =
    "The quick browny foxy jumps over the lazy dog. The brown fox runs away and to be with another brown "
    "foxy.";

}  // namespace

TEST_CASE("TextIndex: local term weights", "[pmml]") {
    // "a b a c a b": a occurs 3 times, b twice, c once; the most frequent term (a) occurs 3 times.
    const char* text = "a b a c a b";
    CHECK(num(text_index("", "a"), {{"doc", text}}) == 3);  // termFrequency is the default
    CHECK(num(text_index("localTermWeights=\"termFrequency\"", "b"), {{"doc", text}}) == 2);
    CHECK(num(text_index("localTermWeights=\"binary\"", "c"), {{"doc", text}}) == 1);
    CHECK(num(text_index("localTermWeights=\"binary\"", "z"), {{"doc", text}}) == 0);
    // logarithmic: log10(1 + 3) = 0.6020599913279624
    CHECK(num(text_index("localTermWeights=\"logarithmic\"", "a"), {{"doc", text}}) ==
          Approx(0.6020599913279624).epsilon(1e-15));
    // augmented: 0.5 * (binary + tf / max tf): a -> 0.5 * (1 + 3/3) = 1; b -> 0.5 * (1 + 2/3)
    // = 0.8333333333333334; z -> 0.5 * (0 + 0/3) = 0.
    CHECK(num(text_index("localTermWeights=\"augmentedNormalizedTermFrequency\"", "a"), {{"doc", text}}) ==
          1.0);
    CHECK(num(text_index("localTermWeights=\"augmentedNormalizedTermFrequency\"", "b"), {{"doc", text}}) ==
          Approx(0.5 * (1 + 2.0 / 3.0)).epsilon(1e-15));
    CHECK(num(text_index("localTermWeights=\"augmentedNormalizedTermFrequency\"", "z"), {{"doc", text}}) ==
          0.0);
    // A missing text gives a missing value.
    CHECK(eval(text_index("", "a"), {}).is_missing());
}

TEST_CASE("TextIndex: case, punctuation, Levenshtein distance and countHits", "[pmml]") {
    // Tokens of fox_text (blank-separated, end punctuation removed, case folded): the quick browny
    // foxy jumps over the lazy dog the brown fox runs away and to be with another brown foxy.
    // Two-token windows near "brown fox": "browny foxy" (distance 1 + 1 = 2), "brown fox" (0),
    // "brown foxy" (0 + 1 = 1); every other window is at least 3 away.
    CHECK(num(text_index("", "brown fox"), {{"doc", fox_text}}) == 1);
    CHECK(num(text_index("maxLevenshteinDistance=\"1\"", "brown fox"), {{"doc", fox_text}}) == 2);
    CHECK(num(text_index("maxLevenshteinDistance=\"1\" countHits=\"bestHits\"", "brown fox"),
              {{"doc", fox_text}}) == 1);
    CHECK(num(text_index("maxLevenshteinDistance=\"2\"", "brown fox"), {{"doc", fox_text}}) == 3);
    CHECK(num(text_index("maxLevenshteinDistance=\"2\" countHits=\"bestHits\"", "brown fox"),
              {{"doc", fox_text}}) == 1);
    // "dog." is the token "dog"; "the" occurs twice ("The", "the") when case is folded ...
    CHECK(num(text_index("", "dog"), {{"doc", fox_text}}) == 1);
    CHECK(num(text_index("", "THE"), {{"doc", fox_text}}) == 3);
    // ... and only as written when it is not: "The" twice at sentence starts.
    CHECK(num(text_index("isCaseSensitive=\"true\"", "The"), {{"doc", fox_text}}) == 2);
    // Case-sensitive with distance 1: "Brown" vs "brown" costs 1, so only "brown fox" (1) is in
    // reach; "brown foxy" would cost 2.
    CHECK(num(text_index("isCaseSensitive=\"true\" maxLevenshteinDistance=\"1\"", "Brown fox"),
              {{"doc", fox_text}}) == 1);
    // The term can come from a field.
    CHECK(num("<TextIndex textField=\"doc\"><FieldRef field=\"word\"/></TextIndex>",
              {{"doc", fox_text}, {"word", "foxy"}}) == 2);
}

TEST_CASE("TextIndex: separators, x-wordRE and tokenize=false", "[pmml]") {
    // A custom separator: "a,b;;a" split on runs of ',' and ';' is a b a.
    CHECK(num(text_index("wordSeparatorCharacterRE=\"[,;]+\"", "a"), {{"doc", "a,b;;a"}}) == 2);
    // x-wordRE (scikit-learn's token pattern, with its Python "(?u)" flag): words of two or more
    // word characters, so in "a cat, a hat; the cat!" the tokens are cat hat the cat.
    CHECK(num(text_index("x-wordRE=\"(?u)\\b\\w\\w+\\b\"", "cat"), {{"doc", "a cat, a hat; the cat!"}}) == 2);
    CHECK(num(text_index("x-wordRE=\"(?u)\\b\\w\\w+\\b\"", "a"), {{"doc", "a cat, a hat; the cat!"}}) == 0);
    // The default separator is split without std::regex: a long run of blanks is fine.
    std::string blanks(200000, ' ');
    blanks += "a";
    CHECK(num(text_index("", "a"), {{"doc", blanks.c_str()}}) == 1);
    // tokenize=false counts non-overlapping occurrences anywhere: "abcabcab" holds "abc" twice.
    CHECK(num(text_index("tokenize=\"false\"", "abc"), {{"doc", "abcabcab"}}) == 2);
    CHECK(num(text_index("tokenize=\"false\"", "ABC"), {{"doc", "abcabcab"}}) == 2);
    CHECK(num(text_index("tokenize=\"false\" isCaseSensitive=\"true\"", "ABC"), {{"doc", "abcabcab"}}) == 0);
}

TEST_CASE("TextIndexNormalization: the spec's stemming example, applied in order", "[pmml]") {
    // The two tables of the TextIndex section's normalization example: the first maps word forms
    // to stems ("interfaces" -> "interface", "are" -> "be"), the second, applied to the result,
    // maps the phrase "interface be excellent" to the single term "ui_good".
    const std::string norms =
        "<TextIndexNormalization inField=\"string\" outField=\"stem\" regexField=\"regex\"><InlineTable>"
        "<row><string>interfaces?</string><stem>interface</stem><regex>true</regex></row>"
        "<row><string>is|are|seem(ed|s?)|were</string><stem>be</stem><regex>true</regex></row>"
        "<row><string>user friendl(y|iness)</string><stem>user_friendly</stem><regex>true</regex></row>"
        "</InlineTable></TextIndexNormalization>"
        "<TextIndexNormalization inField=\"re\" outField=\"feature\" regexField=\"regex\"><InlineTable>"
        "<row><re>interface be (user_friendly|well designed|excellent)</re><feature>ui_good</feature>"
        "<regex>true</regex></row></InlineTable></TextIndexNormalization>";
    const char* review = "Testing the app for a few days convinced me the interfaces are excellent!";
    // testing the app for a few days convinced me the interfaces are excellent
    //   -> (table 1) ... the interface be excellent -> (table 2) ... the ui_good
    CHECK(num(text_index("", "ui_good", norms), {{"doc", review}}) == 1);
    CHECK(num(text_index("", "interfaces", norms), {{"doc", review}}) == 0);
    // "The interface seemed user friendly." -> "the interface be user_friendly" -> "the ui_good"
    CHECK(num(text_index("", "ui_good", norms), {{"doc", "The interface seemed user friendly."}}) == 1);
    // Whole tokens only: "this" keeps its "is", "island" is not "be" + "land".
    CHECK(num(text_index("", "be", norms), {{"doc", "this island is"}}) == 1);
    CHECK(num(text_index("", "thbe", norms), {{"doc", "this island is"}}) == 0);
}

TEST_CASE("TextIndexNormalization: literal rows, recursion and namespaced cells", "[pmml]") {
    // A literal row (regex false): "c++" is quoted, so "c" alone is untouched.
    const std::string literal =
        "<TextIndexNormalization><InlineTable><row><string>c++</string><stem>cpp</stem><regex>false</regex>"
        "</row></InlineTable></TextIndexNormalization>";
    CHECK(num(text_index("", "cpp", literal), {{"doc", "c c++ C++"}}) == 2);
    CHECK(num(text_index("", "c", literal), {{"doc", "c c++ C++"}}) == 1);
    // recursive: "aaaa" -> "aa" rewrites until nothing changes: aaaaaaaa -> aaaa -> aa; without
    // recursion a single pass leaves "aaaa".
    auto rewrite = [](const std::string& rec) {
        return "<TextIndexNormalization tokenize=\"false\" recursive=\"" + rec +
               "\"><InlineTable><row><string>aaaa</string><stem>aa</stem><regex>false</regex></row>"
               "</InlineTable></TextIndexNormalization>";
    };
    CHECK(num(text_index("", "aa", rewrite("true")), {{"doc", "aaaaaaaa"}}) == 1);
    CHECK(num(text_index("", "aaaa", rewrite("false")), {{"doc", "aaaaaaaa"}}) == 1);
    // Namespaced cells, as converters write them: columns "data:string" etc.
    const std::string ns =
        "<TextIndexNormalization xmlns:data=\"http://jpmml.org/jpmml-model/InlineTable\" "
        "inField=\"data:string\" "
        "outField=\"data:stem\" regexField=\"data:regex\"><InlineTable>"
        "<row><data:string>colou?rs?</data:string><data:stem>color</data:stem><data:regex>true</data:regex></"
        "row>"
        "</InlineTable></TextIndexNormalization>";
    CHECK(num(text_index("", "color", ns), {{"doc", "Colours, colors and a colour."}}) == 3);
}

TEST_CASE("MapValues with namespaced InlineTable cells", "[pmml]") {
    const std::string mv =
        "<MapValues xmlns:data=\"http://jpmml.org/jpmml-model/InlineTable\" outputColumn=\"data:output\" "
        "dataType=\"string\"><FieldColumnPair field=\"word\" column=\"data:input\"/><InlineTable>"
        "<row><data:input>yes</data:input><data:output>Y</data:output></row>"
        "<row><data:input>no</data:input><data:output>N</data:output></row></InlineTable></MapValues>";
    CHECK(to_string(eval(mv, {{"word", "no"}}, "", "string")) == "N");
    CHECK(to_string(eval(mv, {{"word", "yes"}}, "", "string")) == "Y");
}

TEST_CASE("TextIndex inside a DefineFunction (a TF-IDF term)", "[pmml]") {
    // tf_idf(text, term) = TextIndex(text, term) * 2.5: "brown" occurs twice in fox_text, so 5.
    const std::string fn =
        "<DefineFunction name=\"tf_idf\" optype=\"continuous\" dataType=\"double\">"
        "<ParameterField name=\"text\"/><ParameterField name=\"term\"/>"
        "<Apply function=\"*\"><TextIndex textField=\"text\"><FieldRef field=\"term\"/></TextIndex>"
        "<Constant>2.5</Constant></Apply></DefineFunction>";
    CHECK(num("<Apply function=\"tf_idf\"><FieldRef field=\"doc\"/><Constant "
              "dataType=\"string\">brown</Constant>"
              "</Apply>",
              {{"doc", fox_text}}, fn) == 5.0);
}

TEST_CASE("TextIndex: malformed documents name the element and line", "[pmml]") {
    // The DerivedField's expression starts on line 13 of the document model_with() builds.
    auto msg = load_error<invalid_value_error>(model_with(text_index("localTermWeights=\"tfidf\"", "a")));
    CHECK_THAT(msg, Catch::Contains("<TextIndex> at line 13") && Catch::Contains("tfidf"));
    msg = load_error<invalid_value_error>(model_with(text_index("countHits=\"some\"", "a")));
    CHECK_THAT(msg, Catch::Contains("<TextIndex> at line 13") && Catch::Contains("countHits"));
    msg = load_error<invalid_value_error>(model_with(text_index("wordSeparatorCharacterRE=\"[a\"", "a")));
    CHECK_THAT(msg, Catch::Contains("<TextIndex> at line 13") && Catch::Contains("regular expression"));
    msg = load_error<invalid_value_error>(model_with(text_index("isCaseSensitive=\"maybe\"", "a")));
    CHECK_THAT(msg, Catch::Contains("<TextIndex> at line 13") && Catch::Contains("boolean"));
    msg = load_error<parse_error>(model_with("<TextIndex><Constant>a</Constant></TextIndex>"));
    CHECK_THAT(msg, Catch::Contains("<TextIndex> at line 13") && Catch::Contains("textField"));
    msg = load_error<parse_error>(model_with("<TextIndex textField=\"doc\"/>"));
    CHECK_THAT(msg, Catch::Contains("<TextIndex> at line 13") && Catch::Contains("term"));
    msg = load_error<invalid_value_error>(
        model_with("<TextIndex textField=\"nope\"><Constant>a</Constant></TextIndex>"));
    CHECK_THAT(msg, Catch::Contains("<TextIndex> at line 13") && Catch::Contains("nope"));
    msg = load_error<unsupported_error>(
        model_with(text_index("tokenize=\"false\" maxLevenshteinDistance=\"1\"", "a")));
    CHECK_THAT(msg, Catch::Contains("<TextIndex> at line 13") && Catch::Contains("maxLevenshteinDistance"));
    msg = load_error<unsupported_error>(
        model_with(text_index("", "a", "<TextIndexNormalization><TableLocator/></TextIndexNormalization>")));
    CHECK_THAT(msg,
               Catch::Contains("<TextIndexNormalization> at line 13") && Catch::Contains("TableLocator"));
    msg = load_error<invalid_value_error>(
        model_with(text_index("", "a",
                              "<TextIndexNormalization>\n<InlineTable><row><string>(</string><stem>x</"
                              "stem><regex>true</regex></row>"
                              "</InlineTable></TextIndexNormalization>")));
    CHECK_THAT(msg, Catch::Contains("<row> at line 14") && Catch::Contains("regular expression"));
    msg = load_error<parse_error>(
        model_with(text_index("", "a",
                              "<TextIndexNormalization><InlineTable><row><string>a</string></row></"
                              "InlineTable></TextIndexNormalization>")));
    CHECK_THAT(msg, Catch::Contains("<row> at line 13") && Catch::Contains("stem"));
}

TEST_CASE("TextIndex: a megabyte field through regular expressions", "[pmml]") {
    // x-wordRE \w+ over "ab ab ab ...": every token is "ab".
    std::string words;
    while (words.size() < (1u << 20)) words += "ab ";
    const double tokens = static_cast<double>(words.size() / 3);
    CHECK(num(text_index("x-wordRE=\"\\w+\"", "ab"), {{"doc", words.c_str()}}) == tokens);
    // A custom separator that never matches in a megabyte-long word: one token, then "a".
    std::string as(1 << 20, 'a');
    std::string one = as + ",a";
    CHECK(num(text_index("wordSeparatorCharacterRE=\"[,;]+\"", "a"), {{"doc", one.c_str()}}) == 1);
    // A normalization row (a|b)*c: the megabyte token "aaa...c" and the token "c" both become "x".
    std::string text = as + "c c";
    CHECK(num(text_index("", "x",
                         "<TextIndexNormalization><InlineTable><row><string>(a|b)*c</string><stem>x</stem>"
                         "<regex>true</regex></row></InlineTable></TextIndexNormalization>"),
              {{"doc", text.c_str()}}) == 2);
}

TEST_CASE("TextIndex: patterns outside the supported subset are refused at load", "[pmml]") {
    auto msg = load_error<unsupported_error>(model_with(text_index("x-wordRE=\"(\\w)\\1\"", "a")));
    CHECK_THAT(msg, Catch::Contains("<TextIndex> at line 13") && Catch::Contains("x-wordRE") &&
                        Catch::Contains("backreference '\\1'"));
    msg = load_error<unsupported_error>(
        model_with(text_index("", "a",
                              "<TextIndexNormalization>\n<InlineTable><row><string>(?&lt;=a)b</"
                              "string><stem>x</stem><regex>true</regex>"
                              "</row></InlineTable></TextIndexNormalization>")));
    CHECK_THAT(msg, Catch::Contains("<row> at line 14") && Catch::Contains("lookbehind"));
    msg = load_error<unsupported_error>(
        model_with(text_index("wordSeparatorCharacterRE=\"(a{1000}){1000}\"", "a")));
    CHECK_THAT(msg, Catch::Contains("<TextIndex> at line 13") && Catch::Contains("too large"));
}

TEST_CASE("TextIndex: a recursive row that grows the text fails the record; long augmented texts", "[pmml]") {
    // "a" -> "aa" again and again: the text would double 64 times; the record fails instead.
    auto m = pmml::load(model_with(
        text_index("", "a",
                   "<TextIndexNormalization recursive=\"true\" tokenize=\"false\"><InlineTable><row>"
                   "<string>a</string><stem>aa</stem></row></InlineTable></TextIndexNormalization>")));
    auto p = pmml_test::score(*m, {{"doc", "a"}});
    CHECK_FALSE(p.ok());
    CHECK_THAT(p.error, Catch::Contains("TextIndexNormalization") && Catch::Contains("grow"));
    // augmentedNormalizedTermFrequency over 100,000 tokens "a b a b ...": a occurs 50,000 times and
    // is (with b) the most frequent term, so 0.5 * (1 + 50000 / 50000) = 1; the pair "b a" occurs
    // 49,999 times, the most frequent pair "a b" 50,000 times.
    std::string text;
    for (int i = 0; i < 50000; ++i) text += "a b ";
    CHECK(num(text_index("localTermWeights=\"augmentedNormalizedTermFrequency\"", "a"),
              {{"doc", text.c_str()}}) == 1.0);
    CHECK(num(text_index("localTermWeights=\"augmentedNormalizedTermFrequency\"", "b a"),
              {{"doc", text.c_str()}}) == Approx(0.5 * (1 + 49999.0 / 50000.0)));
}
