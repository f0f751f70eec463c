# Sourced by run-tests, run-server and build-package: CMake arguments that compile through
# ccache when it is installed (installer/bootstrap.sh installs it), in PARLEY_CMAKE_LAUNCHER.
#
# Paths are hashed relative to the checkout ($root) and the build directory is not hashed,
# so another checkout of the project laid out the same way (the package test builds the
# previous commit in build/previous-source) reuses what this one compiled. A hit needs the
# same preprocessed source and flags, so what is compiled is always what the sources say.
PARLEY_CMAKE_LAUNCHER=()
if command -v ccache >/dev/null; then
  # Sourced by hand (no $root set), the checkout is this file's: without a base directory
  # ccache hashes absolute paths and another checkout never hits.
  export CCACHE_BASEDIR="${root:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}" CCACHE_NOHASHDIR=1
  export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-20G}"
  PARLEY_CMAKE_LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
