using Wuerstchen.Models;
using Wuerstchen.Pipelines;
using Wuerstchen.Tensors;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// A text encoder for timing without a tokenizer: every prompt is fed as the empty prompt's ids (BOS, EOS, then
/// EOS padding to 77 — what the unconditional branch encodes anyway). The CLIP model's cost does not depend on the
/// ids, and the padding mask is applied just as for a real prompt, so the timing is that of any prompt.
/// </summary>
public sealed class BenchPromptEncoder(ClipTextModel textModel) : IPromptEncoder
{
    private const int BosTokenId = 49406, EosTokenId = 49407;

    public ClipTextModel TextModel { get; } = textModel;

    /// <summary>The empty prompt's ids and mask for <paramref name="batch"/> rows of <paramref name="length"/> tokens.</summary>
    public static (int[] Ids, int[] Mask) EmptyPromptIds(int batch, int length, int vocabSize)
    {
        // CLIP's ids; a toy vocabulary smaller than CLIP's gets its last two ids instead.
        int bos = Math.Min(BosTokenId, vocabSize - 2), eos = Math.Min(EosTokenId, vocabSize - 1);
        var ids = new int[batch * length];
        var mask = new int[batch * length];
        for (int b = 0; b < batch; b++)
        {
            Array.Fill(ids, eos, b * length, length);
            ids[b * length] = bos;
            mask[b * length] = 1;
            if (length > 1) mask[b * length + 1] = 1;
        }
        return (ids, mask);
    }

    public Tensor Encode(IReadOnlyList<string> prompts, Action<string>? onTruncated = null)
    {
        var (ids, mask) = EmptyPromptIds(prompts.Count, BenchFlops.TextLength, TextModel.Config.VocabSize);
        return TextModel.Forward(ids, mask, prompts.Count);
    }

    public void Dispose() => TextModel.Dispose();
}
