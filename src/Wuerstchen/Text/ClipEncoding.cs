namespace Wuerstchen.Text;

/// <summary>
/// One prompt tokenized the way the diffusers pipelines call the tokenizer
/// (<c>padding="max_length", max_length=77, truncation=True</c>): BOS, at most <c>maxLength − 2</c> content ids,
/// EOS, then padding with the pad id (<c>&lt;|endoftext|&gt;</c> for CLIP).
/// </summary>
public sealed class ClipEncoding
{
    /// <summary>Token ids, exactly <c>maxLength</c> of them.</summary>
    public required int[] InputIds { get; init; }

    /// <summary>1 for BOS … EOS, 0 for padding.</summary>
    public required int[] AttentionMask { get; init; }

    /// <summary>Number of unpadded positions (BOS and EOS included): the number of ones in <see cref="AttentionMask"/>.</summary>
    public required int Length { get; init; }

    /// <summary>Content ids that did not fit and were cut off (empty unless <see cref="Truncated"/>).</summary>
    public required int[] TruncatedIds { get; init; }

    /// <summary>True when the prompt had more content tokens than fit; callers warn as diffusers does
    /// (the cut-off text is <c>tokenizer.Decode(TruncatedIds)</c>).</summary>
    public bool Truncated => TruncatedIds.Length > 0;
}
