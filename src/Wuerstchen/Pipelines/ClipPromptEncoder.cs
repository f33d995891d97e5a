using Wuerstchen.Models;
using Wuerstchen.Tensors;
using Wuerstchen.Text;

namespace Wuerstchen.Pipelines;

/// <summary>
/// A stage's <c>tokenizer</c> + <c>text_encoder</c>: <c>tokenizer(prompts, padding="max_length", max_length=77,
/// truncation=True)</c>, then <c>text_encoder(ids, attention_mask=mask).last_hidden_state</c> (SPEC §5.1).
/// </summary>
public sealed class ClipPromptEncoder(ClipTokenizer tokenizer, ClipTextModel textModel) : IPromptEncoder
{
    public ClipTokenizer Tokenizer { get; } = tokenizer;
    public ClipTextModel TextModel { get; } = textModel;

    /// <summary>Loads the <c>tokenizer</c> and <c>text_encoder</c> components of a pipeline folder.</summary>
    public static ClipPromptEncoder Load(ModelFolder folder, string? variant = null)
    {
        var tokenizer = ClipTokenizer.FromDirectory(folder.ComponentPath("tokenizer"));
        string textEncoder = folder.ComponentPath("text_encoder");
        return new ClipPromptEncoder(tokenizer, ClipTextModel.FromPretrained(textEncoder, WeightVariants.IfPresent(textEncoder, variant)));
    }

    public Tensor Encode(IReadOnlyList<string> prompts, Action<string>? onTruncated = null)
    {
        int length = Tokenizer.ModelMaxLength;
        var ids = new int[prompts.Count * length];
        var mask = new int[prompts.Count * length];
        for (int b = 0; b < prompts.Count; b++)
        {
            var encoding = Tokenizer.Encode(prompts[b], length);
            encoding.InputIds.CopyTo(ids, b * length);
            encoding.AttentionMask.CopyTo(mask, b * length);
            // diffusers logs the part that was cut off, decoded back to text.
            if (encoding.Truncated) onTruncated?.Invoke(Tokenizer.Decode(encoding.TruncatedIds));
        }
        return TextModel.Forward(ids, mask, prompts.Count);
    }

    public void Dispose() => TextModel.Dispose();
}
