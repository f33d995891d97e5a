namespace Wuerstchen.Pipelines;

/// <summary>Argument checks shared by the pipelines; messages name the request property.</summary>
internal static class PipelineArguments
{
    public static void CheckPositive(int value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1.");
    }

    public static void CheckGuidance(float value, string name)
    {
        if (!float.IsFinite(value)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number.");
    }
}
