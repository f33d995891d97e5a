using System.Text.Json;
using Wuerstchen.IO;

namespace Wuerstchen.Pipelines;

/// <summary>
/// The generation settings a default model was trained for and is best sampled with: its <c>defaults.json</c>,
/// whose keys are the diffusers argument names <c>generate</c> also records in its PNGs. A key left out keeps
/// the value below (the shipped model's: 256 × 256, the prior's 60 steps at guidance 4, the decoder's 12 steps
/// without guidance). Timesteps, when given, replace the step count of their stage.
/// </summary>
public sealed record DefaultModelSettings
{
    public const string FileName = "defaults.json";

    public int Width { get; init; } = 256;
    public int Height { get; init; } = 256;
    public int PriorNumInferenceSteps { get; init; } = 60;
    public float[]? PriorTimesteps { get; init; }
    public float PriorGuidanceScale { get; init; } = 4f;
    public int DecoderNumInferenceSteps { get; init; } = 12;
    public float[]? DecoderTimesteps { get; init; }
    public float DecoderGuidanceScale { get; init; }

    /// <summary>Reads and validates <paramref name="path"/>; errors name the file and the key.</summary>
    public static DefaultModelSettings Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: default-model settings not found.", path);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected a JSON object.");
            var settings = new DefaultModelSettings();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                var v = p.Value;
                settings = p.Name switch
                {
                    "width" => settings with { Width = Int(v) },
                    "height" => settings with { Height = Int(v) },
                    "prior_num_inference_steps" => settings with { PriorNumInferenceSteps = Int(v) },
                    "prior_timesteps" => settings with { PriorTimesteps = Floats(v) },
                    "prior_guidance_scale" => settings with { PriorGuidanceScale = Float(v) },
                    "num_inference_steps" => settings with { DecoderNumInferenceSteps = Int(v) },
                    "decoder_timesteps" => settings with { DecoderTimesteps = Floats(v) },
                    "decoder_guidance_scale" => settings with { DecoderGuidanceScale = Float(v) },
                    // A misspelt key must not be ignored silently.
                    _ => throw new InvalidDataException($"{path}: unknown key '{p.Name}' (known: {string.Join(", ", Keys)})."),
                };

                int Int(JsonElement e) => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int i) ? i : throw WrongType("an integer");
                float Float(JsonElement e) => e.ValueKind == JsonValueKind.Number ? (float)e.GetDouble() : throw WrongType("a number");
                float[]? Floats(JsonElement e) => e.ValueKind switch
                {
                    JsonValueKind.Null => null,
                    JsonValueKind.Array => e.EnumerateArray().Select(Float).ToArray(),
                    _ => throw WrongType("an array of numbers or null"),
                };
                InvalidDataException WrongType(string what) => new($"{path}: '{p.Name}' must be {what}, found {v.GetRawText()}.");
            }
            settings.Validate(path);
            return settings;
        }
    }

    private static readonly string[] Keys =
    [
        "width", "height", "prior_num_inference_steps", "prior_timesteps", "prior_guidance_scale",
        "num_inference_steps", "decoder_timesteps", "decoder_guidance_scale",
    ];

    /// <summary>Writes every key (timesteps only when set), atomically.</summary>
    public void Save(string path)
    {
        Validate(path);
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteNumber("width", Width);
            w.WriteNumber("height", Height);
            w.WriteNumber("prior_num_inference_steps", PriorNumInferenceSteps);
            WriteFloats(w, "prior_timesteps", PriorTimesteps);
            w.WriteNumber("prior_guidance_scale", PriorGuidanceScale);
            w.WriteNumber("num_inference_steps", DecoderNumInferenceSteps);
            WriteFloats(w, "decoder_timesteps", DecoderTimesteps);
            w.WriteNumber("decoder_guidance_scale", DecoderGuidanceScale);
            w.WriteEndObject();
        });
    }

    private static void WriteFloats(Utf8JsonWriter w, string key, float[]? values)
    {
        if (values == null) return;
        w.WriteStartArray(key);
        foreach (float v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    /// <summary>Throws an error naming <paramref name="source"/> and the key of the first value a pipeline would reject.</summary>
    public void Validate(string source)
    {
        Require(Width >= 1, "width", Width);
        Require(Height >= 1, "height", Height);
        Require(PriorNumInferenceSteps >= 1, "prior_num_inference_steps", PriorNumInferenceSteps);
        Require(DecoderNumInferenceSteps >= 1, "num_inference_steps", DecoderNumInferenceSteps);
        Require(float.IsFinite(PriorGuidanceScale), "prior_guidance_scale", PriorGuidanceScale);
        Require(float.IsFinite(DecoderGuidanceScale), "decoder_guidance_scale", DecoderGuidanceScale);
        CheckTimesteps(PriorTimesteps, "prior_timesteps");
        CheckTimesteps(DecoderTimesteps, "decoder_timesteps");

        void CheckTimesteps(float[]? t, string key)
        {
            if (t == null) return;
            bool ok = t.Length >= 2 && t[0] <= 1f && t[^1] == 0f;
            for (int i = 1; ok && i < t.Length; i++) ok = t[i] < t[i - 1];
            if (!ok) throw new InvalidDataException($"{source}: '{key}' must be at least two strictly decreasing values in [0, 1] ending in 0.");
        }

        void Require(bool ok, string key, object value)
        {
            if (!ok) throw new InvalidDataException($"{source}: '{key}' = {value} is out of range.");
        }
    }
}
