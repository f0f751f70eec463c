// parley-loadgen: simulated meeting participants against a running parleyd, and what the
// run measured (docs/benchmarks.md).
#include <parley/loadgen/load_run.h>

#include <Poco/Exception.h>

#include <fstream>
#include <iostream>

int main(int argc, char** argv)
{
    using namespace parley::loadgen;
    std::vector<std::string> arguments(argv + 1, argv + argc);
    if (!arguments.empty() && (arguments[0] == "--help" || arguments[0] == "-h")) {
        std::cout << kUsage;
        return 0;
    }
    try {
        const auto scenario = parseScenario(arguments);
        const auto report = runLoad(scenario, std::cerr);
        printReport(std::cout, report);
        if (!scenario.jsonFile.empty()) {
            std::ofstream json(scenario.jsonFile);
            writeReportJson(json, report);
            if (!json)
                throw std::runtime_error("cannot write the report to " + scenario.jsonFile);
        }
        return report.ready == report.participants && report.errors.empty() ? 0 : 1;
    } catch (const UsageError& e) {
        std::cerr << "parley-loadgen: " << e.what() << "\n\n" << kUsage;
        return 64;
    } catch (const Poco::Exception& e) {
        std::cerr << "parley-loadgen: " << e.displayText() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "parley-loadgen: " << e.what() << "\n";
        return 1;
    }
}
