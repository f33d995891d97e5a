using System.Text.Json;

namespace Wuerstchen.Schedulers;

/// <summary>
/// <c>scheduler/scheduler_config.json</c> of the Würstchen pipelines, field names as diffusers writes them:
/// <c>{"_class_name": "DDPMWuerstchenScheduler", "scaler": 1.0, "s": 0.008}</c>. Missing fields take diffusers'
/// defaults; unknown fields (<c>_diffusers_version</c>, …) are ignored.
/// </summary>
public sealed record DdpmWuerstchenSchedulerConfig(double Scaler = 1.0, double S = 0.008)
{
    public const string FileName = "scheduler_config.json";
    public const string ClassName = "DDPMWuerstchenScheduler";

    /// <summary>Reads the config from a file, or from <see cref="FileName"/> inside a folder.</summary>
    public static DdpmWuerstchenSchedulerConfig Load(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"Scheduler config not found: {path}", path);

        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected a JSON object.");
            if (root.TryGetProperty("_class_name", out var cls) && cls.GetString() != ClassName)
                throw new InvalidDataException($"{path}: '_class_name' is '{cls}', expected '{ClassName}'.");
            var config = new DdpmWuerstchenSchedulerConfig(Number(path, root, "scaler", 1.0), Number(path, root, "s", 0.008));
            config.Validate(path);
            return config;
        }
    }

    /// <summary>Throws when the values cannot define a schedule (<paramref name="source"/> names where they came from).</summary>
    public void Validate(string source = "scheduler config")
    {
        if (!(Scaler > 0) || double.IsInfinity(Scaler)) throw new InvalidDataException($"{source}: 'scaler' must be a positive number, got {Scaler}.");
        if (!(S >= 0) || double.IsInfinity(S)) throw new InvalidDataException($"{source}: 's' must be a non-negative number, got {S}.");
    }

    private static double Number(string path, JsonElement root, string key, double fallback)
    {
        if (!root.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null) return fallback;
        if (e.ValueKind != JsonValueKind.Number) throw new InvalidDataException($"{path}: '{key}' must be a number, got {e.ValueKind}.");
        return e.GetDouble();
    }
}
