// ClusteringModel on small hand-written documents: every comparison measure and compare function,
// field weights and missing-value weights, the cluster outputs, clustering inside a MiningModel,
// and malformed documents. Every expected value is worked out by hand in the test.

#include "pmml_test_util.hpp"

#include <scorestream/error.hpp>

#include <cmath>

using namespace scorestream;
using pmml_test::document;
using pmml_test::number_out;
using pmml_test::text_out;

namespace {

const std::string dict =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"z\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"><Value value=\"a\"/><Value "
    "value=\"b\"/></DataField>\n"
    "<DataField name=\"b1\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"b2\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"b3\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"b4\" optype=\"continuous\" dataType=\"double\"/>\n";

const std::string outputs =
    "<Output><OutputField name=\"id\" feature=\"predictedValue\"/>"
    "<OutputField name=\"display\" feature=\"predictedDisplayValue\"/>"
    "<OutputField name=\"entity\" feature=\"entityId\"/>"
    "<OutputField name=\"index\" feature=\"clusterId\"/>"
    "<OutputField name=\"best\" feature=\"affinity\"/>"
    "<OutputField name=\"toA\" feature=\"clusterAffinity\" value=\"A\"/>"
    "<OutputField name=\"toB\" feature=\"affinity\" value=\"B\"/></Output>";

/// Two clusters over x and z: A at (0, 0), B at (3, 4).
std::string xz_model(const std::string& measure, const std::string& fields = "",
                     const std::string& extra = "") {
    std::string f = fields.empty() ? "<ClusteringField field=\"x\"/><ClusteringField field=\"z\"/>" : fields;
    return "<ClusteringModel functionName=\"clustering\" modelClass=\"centerBased\" numberOfClusters=\"2\">"
           "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"z\"/></MiningSchema>" +
           outputs + "<ComparisonMeasure kind=\"distance\">" + measure + "</ComparisonMeasure>" + f + extra +
           "<Cluster id=\"A\" name=\"first\"><Array n=\"2\" type=\"real\">0 0</Array></Cluster>"
           "<Cluster id=\"B\" name=\"second\"><Array n=\"2\" type=\"real\">3 4</Array></Cluster>"
           "</ClusteringModel>\n";
}

struct Expect {
    std::string winner;
    double to_a, to_b;
};

void check(const std::string& model_xml, std::initializer_list<pmml_test::In> in, const Expect& e) {
    auto m = pmml::load(document(dict, model_xml));
    auto p = pmml_test::score(*m, in);
    INFO(p.error);
    REQUIRE(p.ok());
    CHECK(to_string(p.value) == e.winner);
    CHECK(number_out(*m, p, "toA") == Approx(e.to_a).epsilon(1e-14));
    CHECK(number_out(*m, p, "toB") == Approx(e.to_b).epsilon(1e-14));
}

}  // namespace

TEST_CASE("ClusteringModel: distance measures", "[pmml][clustering]") {
    // The record (1, 1): differences to A are (1, 1), to B (2, 3).
    SECTION("squaredEuclidean: 1 + 1 = 2 and 4 + 9 = 13") {
        check(xz_model("<squaredEuclidean/>"), {{"x", 1.0}, {"z", 1.0}}, {"A", 2.0, 13.0});
    }
    SECTION("euclidean: sqrt(2) and sqrt(13)") {
        check(xz_model("<euclidean/>"), {{"x", 1.0}, {"z", 1.0}}, {"A", std::sqrt(2.0), std::sqrt(13.0)});
    }
    SECTION("cityBlock: 1 + 1 = 2 and 2 + 3 = 5") {
        check(xz_model("<cityBlock/>"), {{"x", 1.0}, {"z", 1.0}}, {"A", 2.0, 5.0});
    }
    SECTION("chebychev: max(1, 1) = 1 and max(2, 3) = 3") {
        check(xz_model("<chebychev/>"), {{"x", 1.0}, {"z", 1.0}}, {"A", 1.0, 3.0});
    }
    SECTION("minkowski p=3: (1 + 1)^(1/3) and (8 + 27)^(1/3)") {
        check(xz_model("<minkowski p-parameter=\"3\"/>"), {{"x", 1.0}, {"z", 1.0}},
              {"A", std::cbrt(2.0), std::cbrt(35.0)});
    }
    SECTION("the nearest center wins: (3, 3) is 9 + 9 = 18 from A and 0 + 1 = 1 from B") {
        check(xz_model("<squaredEuclidean/>"), {{"x", 3.0}, {"z", 3.0}}, {"B", 18.0, 1.0});
    }
}

TEST_CASE("ClusteringModel: field weights and missing-value weights", "[pmml][clustering]") {
    SECTION("fieldWeight 2 on x: 2*1 + 1 = 3 and 2*4 + 9 = 17") {
        check(xz_model("<squaredEuclidean/>",
                       "<ClusteringField field=\"x\" fieldWeight=\"2\"/><ClusteringField field=\"z\"/>"),
              {{"x", 1.0}, {"z", 1.0}}, {"A", 3.0, 17.0});
    }
    SECTION("z missing, no weights: adjustment 2/1, so 2*1 = 2 and 2*4 = 8") {
        check(xz_model("<squaredEuclidean/>"), {{"x", 1.0}}, {"A", 2.0, 8.0});
    }
    SECTION("z missing, MissingValueWeights (1, 3): adjustment (1+3)/1 = 4, so 4*1 = 4 and 4*4 = 16") {
        check(xz_model("<squaredEuclidean/>", "",
                       "<MissingValueWeights><Array n=\"2\" type=\"real\">1 3</Array></MissingValueWeights>"),
              {{"x", 1.0}}, {"A", 4.0, 16.0});
    }
    SECTION("every field missing: no prediction") {
        auto m = pmml::load(document(dict, xz_model("<squaredEuclidean/>")));
        auto p = pmml_test::score(*m, {});
        REQUIRE(p.ok());
        CHECK(p.value.is_missing());
    }
}

TEST_CASE("ClusteringModel: compare functions", "[pmml][clustering]") {
    SECTION("gaussSim on x (scale 2) with cityBlock: 2^(-1/4) + 1 and 2^(-4/4) + 3") {
        // c(x, y) = exp(-ln 2 * (x - y)^2 / s^2): x - 0 = 1 gives 2^(-1/4); x - 3 = -2 gives 2^(-1).
        check(xz_model("<cityBlock/>",
                       "<ClusteringField field=\"x\" compareFunction=\"gaussSim\" similarityScale=\"2\"/>"
                       "<ClusteringField field=\"z\"/>"),
              {{"x", 1.0}, {"z", 1.0}}, {"A", std::pow(2.0, -0.25) + 1.0, 0.5 + 3.0});
    }
    const std::string xc =
        "<ClusteringModel functionName=\"clustering\" modelClass=\"centerBased\">"
        "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"c\"/></MiningSchema>" +
        outputs + "<ComparisonMeasure kind=\"distance\"><cityBlock/></ComparisonMeasure>";
    const std::string clusters =
        "<Cluster id=\"A\"><Array n=\"2\" type=\"string\">0 a</Array></Cluster>"
        "<Cluster id=\"B\"><Array n=\"2\" type=\"string\">3 b</Array></Cluster></ClusteringModel>\n";
    SECTION("delta on c: |2.5 - 0| + 1 = 3.5 and |2.5 - 3| + 0 = 0.5") {
        check(xc + "<ClusteringField field=\"x\"/><ClusteringField field=\"c\" compareFunction=\"delta\"/>" +
                  clusters,
              {{"x", 2.5}, {"c", "b"}}, {"B", 3.5, 0.5});
    }
    SECTION("equal on c: |2.5 - 0| + 0 = 2.5 and |2.5 - 3| + 1 = 1.5") {
        check(xc + "<ClusteringField field=\"x\"/><ClusteringField field=\"c\" compareFunction=\"equal\"/>" +
                  clusters,
              {{"x", 2.5}, {"c", "b"}}, {"B", 2.5, 1.5});
    }
    SECTION("table on c: |1 - 0| + T[a][a] = 1 + 0 and |1 - 3| + T[a][b] = 2 + 0.7") {
        check(xc +
                  "<ClusteringField field=\"x\"/><ClusteringField field=\"c\" compareFunction=\"table\">"
                  "<Comparisons><Matrix><Array n=\"2\" type=\"real\">0 0.7</Array>"
                  "<Array n=\"2\" type=\"real\">0.7 0</Array></Matrix></Comparisons></ClusteringField>" +
                  clusters,
              {{"x", 1.0}, {"c", "a"}}, {"A", 1.0, 2.7});
    }
}

TEST_CASE("ClusteringModel: binary similarity measures", "[pmml][clustering]") {
    // The record (1, 1, 0, 0) against A = (1, 0, 1, 0): a11 = 1, a10 = 1, a01 = 1, a00 = 1;
    // against B = (1, 1, 0, 1): a11 = 2, a10 = 0, a01 = 1, a00 = 1. The larger similarity wins.
    auto model = [](const std::string& measure) {
        return "<ClusteringModel functionName=\"clustering\" modelClass=\"centerBased\">"
               "<MiningSchema><MiningField name=\"b1\"/><MiningField name=\"b2\"/><MiningField name=\"b3\"/>"
               "<MiningField name=\"b4\"/></MiningSchema>" +
               outputs + "<ComparisonMeasure kind=\"similarity\">" + measure +
               "</ComparisonMeasure>"
               "<ClusteringField field=\"b1\"/><ClusteringField field=\"b2\"/><ClusteringField field=\"b3\"/>"
               "<ClusteringField field=\"b4\"/>"
               "<Cluster id=\"A\"><Array n=\"4\" type=\"real\">1 0 1 0</Array></Cluster>"
               "<Cluster id=\"B\"><Array n=\"4\" type=\"real\">1 1 0 1</Array></Cluster></ClusteringModel>\n";
    };
    std::initializer_list<pmml_test::In> rec = {{"b1", 1.0}, {"b2", 1.0}, {"b3", 0.0}, {"b4", 0.0}};
    SECTION("simpleMatching: (a11 + a00) / all = 2/4 and 3/4") {
        check(model("<simpleMatching/>"), rec, {"B", 0.5, 0.75});
    }
    SECTION("jaccard: a11 / (a11 + a10 + a01) = 1/3 and 2/3") {
        check(model("<jaccard/>"), rec, {"B", 1.0 / 3, 2.0 / 3});
    }
    SECTION("tanimoto: (a11 + a00) / (a11 + 2(a10 + a01) + a00) = 2/6 and 3/5") {
        check(model("<tanimoto/>"), rec, {"B", 2.0 / 6, 3.0 / 5});
    }
    SECTION("binarySimilarity with c11 = 1, d.. = 1: a11 / 4 = 1/4 and 2/4") {
        check(model("<binarySimilarity c00-parameter=\"0\" c01-parameter=\"0\" c10-parameter=\"0\" "
                    "c11-parameter=\"1\" d00-parameter=\"1\" d01-parameter=\"1\" d10-parameter=\"1\" "
                    "d11-parameter=\"1\"/>"),
              rec, {"B", 0.25, 0.5});
    }
}

TEST_CASE("ClusteringModel: cluster outputs", "[pmml][clustering]") {
    auto m = pmml::load(document(dict, xz_model("<squaredEuclidean/>")));
    auto p = pmml_test::score(*m, {{"x", 3.0}, {"z", 3.0}});
    REQUIRE(p.ok());
    CHECK(text_out(*m, p, "id") == "B");
    CHECK(text_out(*m, p, "display") == "second");  // the cluster's name
    CHECK(text_out(*m, p, "entity") == "B");
    CHECK(number_out(*m, p, "index") == 2.0);  // 1-based
    CHECK(number_out(*m, p, "best") == 1.0);   // affinity of the winner: 0 + 1
    CHECK(m->describe().function == "clustering");
    CHECK(m->describe().target_categories == std::vector<std::string>{"A", "B"});

    SECTION("clusters without id: the 1-based index is the id") {
        std::string doc =
            "<ClusteringModel functionName=\"clustering\" modelClass=\"centerBased\">"
            "<MiningSchema><MiningField name=\"x\"/></MiningSchema>"
            "<Output><OutputField name=\"id\" feature=\"predictedValue\"/></Output>"
            "<ComparisonMeasure kind=\"distance\"><euclidean/></ComparisonMeasure>"
            "<ClusteringField field=\"x\"/>"
            "<Cluster><Array n=\"1\">0</Array></Cluster><Cluster><Array n=\"1\">10</Array></Cluster>"
            "</ClusteringModel>\n";
        auto m2 = pmml::load(document(dict, doc));
        CHECK(text_out(*m2, pmml_test::score(*m2, {{"x", 9.0}}), "id") == "2");
    }
}

TEST_CASE("ClusteringModel inside a clustering MiningModel votes on cluster ids", "[pmml][clustering]") {
    auto seg = [](const std::string& centers) {
        return "<Segment><True/><ClusteringModel functionName=\"clustering\" modelClass=\"centerBased\">"
               "<MiningSchema><MiningField name=\"x\"/></MiningSchema>"
               "<ComparisonMeasure kind=\"distance\"><squaredEuclidean/></ComparisonMeasure>"
               "<ClusteringField field=\"x\"/>" +
               centers + "</ClusteringModel></Segment>";
    };
    std::string doc =
        "<MiningModel functionName=\"clustering\"><MiningSchema><MiningField name=\"x\"/></MiningSchema>"
        "<Output><OutputField name=\"cluster\" dataType=\"string\" feature=\"predictedValue\"/></Output>"
        "<Segmentation multipleModelMethod=\"majorityVote\">" +
        seg("<Cluster id=\"lo\"><Array n=\"1\">0</Array></Cluster><Cluster id=\"hi\"><Array "
            "n=\"1\">10</Array>"
            "</Cluster>") +
        seg("<Cluster id=\"lo\"><Array n=\"1\">2</Array></Cluster><Cluster id=\"hi\"><Array n=\"1\">6</Array>"
            "</Cluster>") +
        seg("<Cluster id=\"hi\"><Array n=\"1\">5</Array></Cluster><Cluster id=\"lo\"><Array "
            "n=\"1\">-1</Array>"
            "</Cluster>") +
        "</Segmentation></MiningModel>\n";
    auto m = pmml::load(document(dict, doc));
    // x = 4.5: segment 1 picks lo (4.5^2 < 5.5^2), segment 2 hi (2.5^2 > 1.5^2), segment 3 hi.
    auto p = pmml_test::score(*m, {{"x", 4.5}});
    REQUIRE(p.ok());
    CHECK(text_out(*m, p, "cluster") == "hi");
    // x = 1: lo (1 < 81), lo (1 < 25), lo (4 from -1 squared, 16 from 5 squared).
    CHECK(text_out(*m, pmml_test::score(*m, {{"x", 1.0}}), "cluster") == "lo");
}

TEST_CASE("ClusteringModel: malformed documents are refused with element and line", "[pmml][clustering]") {
    auto error_of = [](const std::string& body) { return pmml_test::error_text(document(dict, body)); };
    SECTION("a center with the wrong number of values") {
        std::string doc = xz_model("<squaredEuclidean/>");
        doc.replace(doc.find(">3 4<"), 5, ">3<");
        doc.replace(doc.find("n=\"2\" type=\"real\">3<"), 5, "n=\"1\"");
        auto msg = error_of(doc);
        CHECK_THAT(msg, Catch::Contains("<Array> at line") && Catch::Contains("1 values for 2"));
    }
    SECTION("an unknown measure") {
        CHECK_THAT(error_of(xz_model("<manhattan/>")),
                   Catch::Contains("<manhattan> at line") && Catch::Contains("unknown comparison measure"));
    }
    SECTION("a similarity measure under kind=distance") {
        CHECK_THAT(error_of(xz_model("<jaccard/>")), Catch::Contains("does not fit kind"));
    }
    SECTION("distribution-based clustering is unsupported") {
        std::string doc = xz_model("<euclidean/>");
        doc.replace(doc.find("centerBased"), 11, "distributionBased");
        CHECK_THROWS_AS(pmml::load(document(dict, doc)), unsupported_error);
    }
    SECTION("MissingValueWeights of the wrong length") {
        CHECK_THAT(error_of(xz_model("<euclidean/>", "",
                                     "<MissingValueWeights><Array n=\"1\" type=\"real\">1</Array>"
                                     "</MissingValueWeights>")),
                   Catch::Contains("MissingValueWeights has 1 values for 2"));
    }
    SECTION("affinity of a cluster that does not exist") {
        std::string doc = xz_model("<euclidean/>");
        doc.replace(doc.find("value=\"B\""), 9, "value=\"Q\"");
        CHECK_THAT(error_of(doc),
                   Catch::Contains("<OutputField> at line") && Catch::Contains("not a cluster"));
    }
    SECTION("gaussSim without similarityScale") {
        CHECK_THAT(error_of(xz_model("<cityBlock/>",
                                     "<ClusteringField field=\"x\" compareFunction=\"gaussSim\"/>"
                                     "<ClusteringField field=\"z\"/>")),
                   Catch::Contains("<ClusteringField> at line") && Catch::Contains("similarityScale"));
    }
}
