#!/usr/bin/env bash
# usage: kat.sh PATH BODY SECRET  (date fixed)
set -euo pipefail
path=$1; body=$2; secret=$3; date="Fri, 17 Jan 2020 19:59:29 GMT"
sha=$(printf '%s' "$body" | openssl dgst -sha512 -binary | base64 -w0)
len=$(printf '%s' "$body" | wc -c)
sig=$(printf 'POST %s HTTP/1.1\nx-date: %s\ncontent-type: application/json\ncontent-sha512: %s\ncontent-length: %s' "$path" "$date" "$sha" "$len" | openssl dgst -sha512 -hmac "$secret" -binary | base64 -w0)
echo "sha=$sha"; echo "len=$len"; echo "sig=$sig"
