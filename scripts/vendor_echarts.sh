#!/usr/bin/env bash
# Copies Apache ECharts' minified build from the npm registry into console/static/vendor/.
set -euo pipefail
version=${1:-5.6.0}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
(cd "$tmp" && npm pack "echarts@$version" >/dev/null && tar xzf "echarts-$version.tgz")
cp "$tmp/package/dist/echarts.min.js" console/static/vendor/echarts.min.js
cp "$tmp/package/LICENSE" console/static/vendor/echarts.LICENSE
[ -f "$tmp/package/NOTICE" ] && cp "$tmp/package/NOTICE" console/static/vendor/echarts.NOTICE
rm -rf "$tmp"
echo "echarts $version copied to console/static/vendor/ (update the version in its README.md)"
