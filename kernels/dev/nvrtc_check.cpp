// nvrtc_check — compiles every kernels/<family>/*.cu with NVRTC exactly as FastVideo.Cuda's run-time fallback
// does (headers passed in memory under their include names, no toolkit include path), for compute_80 and
// compute_90. Catches host-only includes and anything NVRTC's front end rejects that nvcc accepts.
// Needs libnvrtc only (no GPU). Usage: nvrtc_check <kernels dir>. Exit code 1 on any failure.
#include <nvrtc.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

static std::string read_all(const fs::path& p)
{
    std::ifstream f(p, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

int main(int argc, char** argv)
{
    if (argc != 2)
    {
        std::fprintf(stderr, "usage: nvrtc_check <kernels dir>\n");
        return 2;
    }
    fs::path root = argv[1];
    std::vector<std::string> header_names, header_texts;
    for (auto& e : fs::directory_iterator(root / "common"))
        if (e.path().extension() == ".cuh")
        {
            header_names.push_back(e.path().filename().string());
            header_texts.push_back(read_all(e.path()));
        }
    std::vector<const char*> hn, ht;
    for (size_t i = 0; i < header_names.size(); i++)
    {
        hn.push_back(header_names[i].c_str());
        ht.push_back(header_texts[i].c_str());
    }
    int major = 0, minor = 0;
    nvrtcVersion(&major, &minor);

    std::vector<fs::path> sources;
    for (auto& e : fs::recursive_directory_iterator(root))
        if (e.path().extension() == ".cu" && e.path().parent_path().filename() != "dev") sources.push_back(e.path());
    std::sort(sources.begin(), sources.end());

    int failures = 0, compiled = 0;
    for (auto& src : sources)
    {
        bool hopper = src.filename() == "flash_attn_hopper.cu";
        bool attention = src.parent_path().filename() == "attention";
        std::vector<std::string> archs = {"compute_80", "compute_90"};
        if (hopper)
        {
            if (major < 12)
            {
                std::printf("  skip %-28s (sm_90a needs NVRTC >= 12, have %d.%d)\n", src.filename().c_str(), major, minor);
                continue;
            }
            archs = {"compute_90a"};
        }
        std::string text = read_all(src);
        for (auto& arch : archs)
        {
            nvrtcProgram prog;
            nvrtcCreateProgram(&prog, text.c_str(), src.filename().c_str(), (int)hn.size(), ht.data(), hn.data());
            std::string archOpt = "--gpu-architecture=" + arch;
            std::vector<const char*> opts = {archOpt.c_str(), "-std=c++17", "--device-as-default-execution-space"};
            if (attention) opts.push_back("--use_fast_math");
            nvrtcResult r = nvrtcCompileProgram(prog, (int)opts.size(), opts.data());
            size_t logSize = 0;
            nvrtcGetProgramLogSize(prog, &logSize);
            std::string log(logSize, '\0');
            if (logSize > 1) nvrtcGetProgramLog(prog, log.data());
            size_t ptxSize = 0;
            if (r == NVRTC_SUCCESS) nvrtcGetPTXSize(prog, &ptxSize);
            std::printf("  %-4s %-28s %-12s %zu bytes PTX\n", r == NVRTC_SUCCESS ? "ok" : "FAIL", src.filename().c_str(), arch.c_str(), ptxSize);
            if (r != NVRTC_SUCCESS || logSize > 1)
            {
                std::printf("%s\n", log.c_str());
                if (r != NVRTC_SUCCESS) failures++;
            }
            nvrtcDestroyProgram(&prog);
            compiled++;
        }
    }
    std::printf("NVRTC %d.%d: %d compilations, %d failed\n", major, minor, compiled, failures);
    return failures == 0 ? 0 : 1;
}
