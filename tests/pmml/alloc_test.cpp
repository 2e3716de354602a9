// Proof of "zero heap allocations per record": global operator new is counted while corpus models
// score every row of their input a second time (the first pass warms up each Prediction's scratch).
// A plain executable (not Catch2) because it replaces the global allocation functions.

#include "csv.hpp"

#include <scorestream/pmml/model.hpp>

#include <support/count_allocations.hpp>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

int main() {
    using namespace scorestream;
    const std::string dir = SCORESTREAM_PMML_CONFORMANCE_DIR;
    if (dir.empty() || !std::filesystem::exists(dir + "/MANIFEST.tsv")) {
        std::printf("pmml allocations: corpus not found, skipped\n");
        return 77;
    }
    // Tree, regression, ensemble, general-regression, neural, rule-set, association, SVM, naive Bayes
    // and clustering cases.
    const char* cases[] = {"rattle-DecisionTreeIris",
                           "rattle-DecisionTreeAudit",
                           "rattle-LogisticRegressionAudit",
                           "rattle-RandomForestIris",
                           "rattle-RandomForestAudit",
                           "knime-DecisionTreeEnsembleIris",
                           "knime-GBTAuto",
                           "rattle-GBMAuto",
                           "rattle-RegressionXformAuto",
                           "rattle-DecisionTreeXformIris",
                           "knime-GeneralRegressionAudit",
                           "rattle-NeuralNetworkIris",
                           "sas-LogisticRegressionIris",
                           "knime-RuleSetIris",
                           "knime-RuleSetAudit",
                           "rapidminer-RuleSetAudit",
                           "rattle-AssociationRulesShopping",
                           "rattle-KernlabSVMIris",
                           "rattle-LibSVMAudit",
                           "knime-SupportVectorMachineIris",
                           "knime-ModelEnsembleIris",
                           "rattle-NaiveBayesAudit",
                           "rattle-NaiveBayesIris",
                           "rattle-KMeansIris",
                           "knime-KMeansEnsembleIris",
                           "rapidminer-KMeansIris"};
    int failures = 0;
    for (const char* name : cases) {
        const std::string base = dir + "/" + name;
        auto model = pmml::load_file(base + "/model.pmml");
        auto table = pmml::tools::read_csv(base + "/input.csv");
        // Association rules read one basket per transaction (grouped input).
        if (const auto& group = model->describe().group_field; !group.empty())
            table = pmml::tools::group_rows(table, table.column(group), {"NA"});
        const auto& inputs = model->schema().inputs;
        std::vector<Value> rows(table.rows.size() * inputs.size());
        for (std::size_t r = 0; r < table.rows.size(); ++r)
            for (std::size_t i = 0; i < inputs.size(); ++i) {
                int c = table.column(inputs[i]);
                rows[r * inputs.size() + i] =
                    c < 0 ? Value::missing()
                          : pmml::tools::cell_value(table.rows[r][static_cast<std::size_t>(c)], {"NA"});
            }
        Prediction p;
        auto pass = [&] {
            for (std::size_t r = 0; r < table.rows.size(); ++r)
                model->score(FeatureRow(rows.data() + r * inputs.size(), inputs.size()), p);
        };
        pass();
        long before = scorestream::testing::allocations_so_far();
        pass();
        pass();
        long count = scorestream::testing::allocations_so_far() - before;
        std::printf("%-34s %5zu records x 2: %ld heap allocations\n", name, table.rows.size(), count);
        if (count != 0) ++failures;
    }
    // Scorecard and k-NN: the test documents of tests/pmml/data over a grid of records (with missing
    // values), which exercises reason codes, ComplexPartialScore and the neighbour outputs.
    const std::string data = SCORESTREAM_PMML_TEST_DATA;
    for (const char* name : {"scorecard.pmml", "knn.pmml"}) {
        auto model = pmml::load_file(data + "/" + name);
        const auto& inputs = model->schema().inputs;
        const char* departments[] = {"engineering", "marketing", "business"};
        std::vector<Value> rows;
        for (int r = 0; r < 300; ++r)
            for (const auto& in : inputs) {
                double x = (r * 37 % 101) * (in == "income" ? 40.0 : 0.06);
                if (r % 17 == 0 && in != "department")
                    rows.push_back(Value::missing());
                else if (in == "department")
                    rows.push_back(Value::string(departments[r % 3]));
                else
                    rows.push_back(Value::number(x));
            }
        Prediction p;
        auto pass = [&] {
            for (std::size_t r = 0; r < 300; ++r) {
                model->score(FeatureRow(rows.data() + r * inputs.size(), inputs.size()), p);
                if (!p.ok()) std::printf("%s: record %zu: %s\n", name, r, p.error.c_str());
            }
        };
        pass();
        long before = scorestream::testing::allocations_so_far();
        pass();
        pass();
        long count = scorestream::testing::allocations_so_far() - before;
        std::printf("%-34s %5d records x 2: %ld heap allocations\n", name, 300, count);
        if (count != 0) ++failures;
    }
    std::printf("pmml allocations: %s\n", failures ? "FAILED" : "zero per record on every model");
    return failures ? 1 : 0;
}
