// The embedded cluster: librdkafka's mock cluster, bound to loopback.

#include <scorestream/kafka/embedded_cluster.hpp>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <librdkafka/rdkafkacpp.h>

#include <sstream>

namespace scorestream::kafka {

struct embedded_cluster::impl {
    std::unique_ptr<RdKafka::Producer> handle;  // the mock cluster's bookkeeping handle
    rd_kafka_mock_cluster_t* cluster = nullptr;
    std::string bootstraps;
};

embedded_cluster::embedded_cluster() : embedded_cluster(options{}) {}

embedded_cluster::embedded_cluster(options o) : impl_(std::make_unique<impl>()) {
    if (o.brokers < 1) throw kafka_error("embedded_cluster: at least one broker");
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    std::string err;
    // The handle never connects anywhere: it only owns the mock cluster.
    conf->set("bootstrap.servers", "127.0.0.1:1", err);
    conf->set("log_level", "0", err);
    impl_->handle.reset(RdKafka::Producer::create(conf.get(), err));
    if (!impl_->handle) throw kafka_error("embedded_cluster: cannot create the handle: " + err);
    impl_->cluster = rd_kafka_mock_cluster_new(impl_->handle->c_ptr(), o.brokers);
    if (!impl_->cluster) throw kafka_error("embedded_cluster: cannot create the mock cluster");
    impl_->bootstraps = rd_kafka_mock_cluster_bootstraps(impl_->cluster);
    // Loopback only: refuse to run if librdkafka ever listened anywhere else.
    std::istringstream list(impl_->bootstraps);
    for (std::string addr; std::getline(list, addr, ',');) {
        if (addr.rfind("127.0.0.1:", 0) != 0 && addr.rfind("localhost:", 0) != 0) {
            rd_kafka_mock_cluster_destroy(impl_->cluster);
            impl_->cluster = nullptr;
            throw kafka_error("embedded_cluster: mock broker listens on " + addr + ", not on loopback");
        }
    }
}

embedded_cluster::~embedded_cluster() {
    if (impl_ && impl_->cluster) rd_kafka_mock_cluster_destroy(impl_->cluster);
}

const std::string& embedded_cluster::bootstrap_servers() const noexcept { return impl_->bootstraps; }

client_config embedded_cluster::client(std::string client_id) const {
    client_config c;
    c.brokers = impl_->bootstraps;
    c.client_id = std::move(client_id);
    return c;
}

void embedded_cluster::create_topic(const std::string& name, int partitions) {
    auto err = rd_kafka_mock_topic_create(impl_->cluster, name.c_str(), partitions, 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        throw kafka_error("embedded_cluster: cannot create topic '" + name + "': " + rd_kafka_err2str(err));
}

void embedded_cluster::set_broker_up(int broker_id, bool up) {
    auto err = up ? rd_kafka_mock_broker_set_up(impl_->cluster, broker_id)
                  : rd_kafka_mock_broker_set_down(impl_->cluster, broker_id);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw kafka_error("embedded_cluster: broker " + std::to_string(broker_id) + ": " +
                          rd_kafka_err2str(err));
}

}  // namespace scorestream::kafka
