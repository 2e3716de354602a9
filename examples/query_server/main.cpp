// query_server: a scoring pipeline with the queryable-state endpoint on. Pump readings are scored by
// a small custom model that is replaced twice while the stream flows (one update is refused); a
// second data type never gets a model, so its records come out unscored. Meanwhile, and after the
// stream ends, the state is served over HTTP until SIGINT or SIGTERM (see curl_demo.sh):
//
//     query_server [--port N] [--records N] [--port-file PATH]
//     curl http://127.0.0.1:PORT/models   /state/pumps   /metrics   /health
#include <scorestream/query/server.hpp>
#include <scorestream/scorestream.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace {

struct reading {
    std::string kind;  ///< "pumps" or "valves": the data type that picks the model
    double pressure = 0;
    double flow = 0;
};

// A linear model whose bytes are its text: "bias 0.1\nw pressure 0.5\nw flow -0.2\n".
class linear_model final : public scorestream::Model {
public:
    linear_model(scorestream::ModelIdentity id, std::string text)
        : id_(std::move(id)), text_(std::move(text)) {
        std::istringstream in(text_);
        std::string word;
        while (in >> word) {
            if (word == "bias") {
                in >> bias_;
            } else if (word == "w") {
                std::string input;
                double weight = 0;
                in >> input >> weight;
                schema_.inputs.push_back(input);
                weights_.push_back(weight);
            } else {
                throw scorestream::parse_error("linear model: unknown word '" + word + "'");
            }
            if (!in && !in.eof()) throw scorestream::parse_error("linear model: expected a number");
        }
        if (weights_.empty()) throw scorestream::parse_error("linear model: no weights");
        schema_.target = "score";
    }
    const scorestream::ModelIdentity& identity() const noexcept override { return id_; }
    const scorestream::ModelSchema& schema() const noexcept override { return schema_; }
    std::string to_bytes() const override { return text_; }
    void score(const scorestream::FeatureRow& row, scorestream::Prediction& out) const override {
        out.reset(0);
        double s = bias_;
        for (std::size_t i = 0; i < weights_.size(); ++i) {
            if (!row[i].is_number()) {
                out.error = "input '" + schema_.inputs[i] + "' is missing";
                return;
            }
            s += weights_[i] * row[i].as_number();
        }
        out.value = scorestream::Value::number(s);
    }

private:
    scorestream::ModelIdentity id_;
    std::string text_;
    scorestream::ModelSchema schema_;
    std::vector<double> weights_;
    double bias_ = 0;
};

class linear_factory final : public scorestream::ModelFactory {
public:
    std::string type() const override { return "linear"; }
    scorestream::ModelPtr create(const scorestream::ModelDescriptor& d) const override {
        return std::make_shared<linear_model>(scorestream::identity_of(d), d.data());
    }
    scorestream::ModelPtr restore(std::string_view bytes,
                                  const scorestream::ModelIdentity& id) const override {
        return std::make_shared<linear_model>(id, std::string(bytes));
    }
};

scorestream::ModelDescriptor linear(const std::string& version, const std::string& text) {
    scorestream::ModelDescriptor d;
    d.set_name("pump-health");
    d.set_version(version);
    d.set_description("pressure and flow to a health score");
    d.set_data_type("pumps");
    d.set_model_type(scorestream::proto::CUSTOM);
    d.set_custom_type("linear");
    d.set_data(text);
    return d;
}

volatile std::sig_atomic_t signalled = 0;
extern "C" void on_signal(int) { signalled = 1; }

struct arguments {
    std::uint16_t port = 0;
    long records = 20000;
    std::string port_file;
};

bool parse(int argc, char** argv, arguments& a) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) return false;
        const std::string value = argv[++i];
        if (arg == "--port") {
            a.port = static_cast<std::uint16_t>(std::stoul(value));
        } else if (arg == "--records") {
            a.records = std::stol(value);
        } else if (arg == "--port-file") {
            a.port_file = value;
        } else {
            return false;
        }
    }
    return true;
}

}  // namespace

template <>
struct scorestream::record_traits<reading> : scorestream::struct_record<reading> {
    static const field_table<reading>& fields() {
        static const auto table =
            field_table<reading>{}.add<&reading::pressure>("pressure").add<&reading::flow>("flow");
        return table;
    }
    static std::string_view data_type(const reading& r) { return r.kind; }
};

int main(int argc, char** argv) {
    using namespace scorestream;
    arguments args;
    try {
        if (!parse(argc, argv, args)) {
            std::fprintf(stderr, "usage: query_server [--port N] [--records N] [--port-file PATH]\n");
            return 2;
        }
    } catch (const std::exception&) {
        std::fprintf(stderr, "query_server: --port and --records take numbers\n");
        return 2;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    ModelRegistry registry;
    registry.add(std::make_shared<linear_factory>());
    control_queue<ModelDescriptor> models;
    models.push(linear("1", "bias 0.1\nw pressure 0.5\nw flow -0.2\n"));

    long n = 0;
    auto readings = generate([&]() -> std::optional<reading> {
        if (n == args.records) return std::nullopt;
        ++n;
        const double t = double(n % 100) / 100.0;
        return reading{n % 10 == 0 ? "valves" : "pumps", 2.0 + t, 5.0 - t};
    });
    long scored = 0;
    long unscored = 0;
    auto pipeline =
        std::move(readings) | join(models.source(), registry) | score() |
        sink([&](const Scored<reading>& r) { ++(r.status == score_status::scored ? scored : unscored); });
    pipeline.on_error([](error_kind kind, const record_error& e) {
        std::printf("error (%s): %s\n", to_string(kind), e.to_string().c_str());
    });

    state_board board;
    publish_options publish;
    publish.name = "demo";
    publish.every_records = 1000;
    pipeline.publish_to(board, publish);

    query::server_options options;
    options.port = args.port;
    try {
        query::server http(board, options);
        std::printf("query server listening on http://%s:%u\n", http.address().c_str(),
                    unsigned(http.port()));
        if (!args.port_file.empty()) {  // written whole, then renamed: a reader never sees half of it
            {
                std::ofstream out(args.port_file + ".tmp");
                out << http.port() << '\n';
            }
            std::rename((args.port_file + ".tmp").c_str(), args.port_file.c_str());
        }
        std::fflush(stdout);

        bool swapped = false;
        bool refused = false;
        while (!pipeline.done() && !signalled) {
            pipeline.poll(500);
            if (!refused && n >= args.records / 3) {
                models.push(linear("2", "bias 0.1\nw pressure oops\n"));  // does not build: refused
                refused = true;
            }
            if (!swapped && n >= 2 * args.records / 3) {
                models.push(linear("3", "bias 0.2\nw pressure 0.45\nw flow -0.25\n"));
                swapped = true;
            }
        }
        std::printf("%llu records: %ld scored, %ld unscored; serving state until SIGINT/SIGTERM\n",
                    static_cast<unsigned long long>(pipeline.counters().records_in), scored, unscored);
        std::fflush(stdout);
        while (!signalled) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        http.stop();
        std::printf("query server stopped\n");
    } catch (const error& e) {
        std::fprintf(stderr, "query_server: %s\n", e.what());
        return 1;
    }
    return 0;
}
