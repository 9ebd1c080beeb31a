#!/usr/bin/env bash
# escrow help CMD, did-you-mean for commands, vault subcommands and options,
# and completion scripts written from the option table.
. "$(dirname "$0")/lib.sh"

# help CMD is CMD --help.
for c in init keygen check pack verify list extract rewrap certificate; do
	expect_exit 0 "$ESCROW" help "$c"
	cp "$T/out" help.txt
	expect_exit 0 "$ESCROW" "$c" --help
	expect_true "'escrow help $c' is '$c --help'" cmp -s help.txt "$T/out"
done
expect_exit 0 "$ESCROW" help vault receive
cp "$T/out" help.txt
expect_exit 0 "$ESCROW" vault receive --help
expect_true "'help vault receive' is 'vault receive --help'" cmp -s help.txt "$T/out"
expect_exit 0 "$ESCROW" help vault key revoke
expect_grep '^usage: escrow vault key revoke' "$T/out"
expect_exit 0 "$ESCROW" help
expect_grep '^  init ' "$T/out"
expect_grep '^  completion ' "$T/out"

# Did you mean.
expect_exit 64 "$ESCROW" verfy
expect_grep "unknown command 'verfy' \(did you mean 'verify'\?\)" "$T/err"
expect_exit 64 "$ESCROW" pakc
expect_grep "did you mean 'pack'\?" "$T/err"
expect_exit 64 "$ESCROW" help extrat
expect_grep "did you mean 'extract'\?" "$T/err"
expect_exit 64 "$ESCROW" frobnicate
expect_true "no suggestion for a word far from any command" sh -c "! grep -q 'did you mean' '$T/err'"
expect_exit 64 "$ESCROW" check p --contarct c.yaml
expect_grep "unknown option '--contarct' \(did you mean '--contract'\?\)" "$T/err"
expect_exit 64 "$ESCROW" pack p --recipent age1x
expect_grep "did you mean '--recipient'\?" "$T/err"
expect_exit 64 "$ESCROW" verify b --exclude x
expect_true "no suggestion of an option the command does not take" sh -c "! grep -q 'did you mean' '$T/err'"
expect_exit 64 "$ESCROW" vault recieve v b
expect_grep "unknown vault subcommand 'recieve' \(did you mean 'receive'\?\)" "$T/err"
expect_exit 64 "$ESCROW" vault key revokee v k
expect_grep "did you mean 'key revoke'\?" "$T/err"
expect_exit 64 "$ESCROW" vault audit v --fulll
expect_grep "did you mean '--full'\?" "$T/err"

# Completion: bash loads it and offers commands, vault subcommands, options.
expect_exit 0 "$ESCROW" completion bash
cp "$T/out" escrow.bash
expect_exit 0 bash -c "source <('$ESCROW' completion bash); complete -p escrow"
expect_grep '-F _escrow escrow' "$T/out"
complete_words() { # words..., the last one being completed
	bash -c 'source ./escrow.bash; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _escrow; printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
complete_words escrow v >got.txt
expect_grep '^verify$' got.txt
expect_grep '^vault$' got.txt
complete_words escrow "" >got.txt
expect_true "every command offered" sh -c "[ \$(wc -l <got.txt) -eq 14 ] && grep -qx init got.txt && grep -qx diff got.txt && grep -qx completion got.txt"
complete_words escrow vault re >got.txt
expect_grep '^receive$' got.txt
expect_grep '^release$' got.txt
complete_words escrow vault key "" >got.txt
expect_grep '^revoke$' got.txt
complete_words escrow pack --re >got.txt
expect_grep '^--recipient$' got.txt
expect_grep '^--recipients-file$' got.txt
expect_grep '^--release$' got.txt
complete_words escrow verify --re >got.txt
expect_true "verify offers no pack option" sh -c "! grep -q -- '^--' got.txt"
complete_words escrow vault audit --f >got.txt
expect_grep '^--full$' got.txt
complete_words escrow certificate --lang "" >got.txt
expect_grep '^fr$' got.txt
# Every long option of check's --help is in the script's check line.
for o in $("$ESCROW" check --help | grep -oE -- '--[a-z-]+' | sort -u); do
	expect_grep "^	\"check\"\) opts=\"[^\"]*$o( |\")" escrow.bash
done
expect_exit 0 "$ESCROW" completion zsh
expect_grep '^#compdef escrow' "$T/out"
expect_grep '"vault receive"\) opts=\(' "$T/out"
need_tool zsh zsh && "$ESCROW" completion zsh >_escrow && expect_exit 0 zsh -n _escrow
expect_exit 0 "$ESCROW" completion fish
expect_grep "__fish_seen_subcommand_from pack' -l contract -s c -r" "$T/out"
need_tool fish fish && "$ESCROW" completion fish >escrow.fish && expect_exit 0 fish -n escrow.fish
expect_exit 64 "$ESCROW" completion tcsh
expect_exit 64 "$ESCROW" completion

finish
