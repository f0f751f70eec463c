// parley-loadgen against a real parleyd: signed in, rooms made, participants joined over WSS
// with ICE, DTLS and SRTP to the router, and the report's figures as a user would read them.
#include "account_fixture.h"

#include <parley/loadgen/load_run.h>

#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include <sstream>

using namespace parley::loadgen;
using parley::test::kAdminPassword;
using parley::test::ServerWithAdmin;

namespace {

Scenario smallScenario(const ServerWithAdmin& server)
{
    Scenario s;
    s.port = server.port();
    s.username = "admin";
    s.password = kAdminPassword;
    s.insecure = true;
    s.rooms = 1;
    s.publishers = 2;
    s.subscribers = 2;
    s.videoKbps = 500;
    s.warmup = std::chrono::seconds(1);
    s.duration = std::chrono::seconds(3);
    s.joinsPerSecond = 10;
    return s;
}

} // namespace

TEST_CASE("Load generator: a meeting of publishers and viewers through parleyd arrives whole, and the report says so")
{
    ServerWithAdmin server;
    auto scenario = smallScenario(server);
    scenario.serverPid = server.server().process().pid();
    std::ostringstream progress;
    const auto report = runLoad(scenario, progress);
    INFO(progress.str());
    std::ostringstream text;
    printReport(text, report);
    INFO(text.str());
    for (const auto& error : report.errors)
        UNSCOPED_INFO(error);
    CHECK(report.errors.empty());
    CHECK(report.participants == 4);
    CHECK(report.ready == 4);
    // Each publisher's video to the other publisher and both viewers.
    CHECK(report.videoSubscriptions() == 6);
    CHECK(report.videoStreams == 6);
    CHECK(report.keyframeMs.size() == 6);
    CHECK(report.keyframeMs.back() < 5000);

    const auto& c = report.counters;
    // 2 publishers for 3 s: about 90 video frames and 150 audio packets each.
    CHECK(c.videoPacketsSent > 150);
    CHECK(c.audioPacketsSent > 250);
    // Everything sent reaches its three receivers, nothing lost, nothing forged.
    CHECK(c.videoPacketsExpected > 2 * c.videoPacketsSent);
    CHECK(c.videoPacketsReceived == c.videoPacketsExpected);
    CHECK(c.audioPacketsReceived == c.audioPacketsExpected);
    CHECK(c.audioPacketsExpected > 2 * c.audioPacketsSent);
    CHECK(c.srtpFailures == 0);
    CHECK(c.strayPackets == 0);
    CHECK(c.ownReceiveDrops == 0);
    // The router asked the publishers for keyframes for the viewers that came.
    CHECK(report.latency.video.count() > 100);
    CHECK(report.latency.audio.count() > 50);
    CHECK(report.latency.video.percentile(0.5) > 0);
    CHECK(report.latency.video.percentile(0.5) < 100'000);

    // The server as /proc shows it, and this process too.
    REQUIRE(report.serverBefore);
    REQUIRE(report.serverAfter);
    CHECK(report.serverAfter->threads > 1);
    CHECK(report.serverAfter->cpuSecondsByThread.count("parley-media") == 1);
    CHECK(report.serverCores() > 0);
    CHECK(report.selfCores() > 0);
    CHECK(text.str().find("4 of 4 ready") != std::string::npos);

    std::ostringstream json;
    writeReportJson(json, report);
    const auto parsed = Poco::JSON::Parser().parse(json.str()).extract<Poco::JSON::Object::Ptr>();
    CHECK(parsed->getValue<int>("videoPacketsLost") == 0);
    CHECK(parsed->getValue<int>("ready") == 4);
    CHECK(parsed->getValue<std::uint64_t>("videoPacketsReceived") == c.videoPacketsReceived);
}

TEST_CASE("Load generator: with churn, people leave and come back and moderators mute, and nothing goes wrong")
{
    ServerWithAdmin server;
    auto scenario = smallScenario(server);
    scenario.duration = std::chrono::seconds(4);
    scenario.churnSeconds = 1;
    std::ostringstream progress;
    const auto report = runLoad(scenario, progress);
    INFO(progress.str());
    for (const auto& error : report.errors)
        UNSCOPED_INFO(error);
    CHECK(report.errors.empty());
    CHECK(report.ready == 4);
    // Those who came back received media again after their keyframe.
    CHECK(report.keyframeMs.size() > 6);
    CHECK(report.counters.srtpFailures == 0);
}

TEST_CASE("Load generator: a wrong password stops the run before anyone joins, with the server's reason")
{
    ServerWithAdmin server;
    auto scenario = smallScenario(server);
    scenario.password = "wrong-password";
    std::ostringstream progress;
    CHECK_THROWS_WITH(runLoad(scenario, progress), Catch::Contains("/api/v1/auth/login was refused (HTTP 401"));
}
